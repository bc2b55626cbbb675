//! Denmark's 98 municipalities and the jobcentres that serve them, shipped inside the binary
//! (the product never reads reference files at run time).

use serde::Deserialize;

/// The CSV as copied from the shared reference data (code,name,region,rar_area,jobcentre).
pub const MUNICIPALITIES_CSV: &str = include_str!("../data/municipalities.csv");

/// The id and name of Jobservice Danmark, the national organisation.
pub const NATIONAL_ID: &str = "national";
pub const NATIONAL_NAME: &str = "Jobservice Danmark";

#[derive(Debug, Clone, Deserialize)]
pub struct MunicipalityRow {
    pub code: String,
    pub name: String,
    pub region: String,
    pub rar_area: String,
    pub jobcentre: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobcentreRow {
    pub id: String,
    pub name: String,
    pub municipality_code: String,
    pub rar_area: String,
}

pub fn municipalities() -> Result<Vec<MunicipalityRow>, String> {
    let mut reader = csv::Reader::from_reader(MUNICIPALITIES_CSV.as_bytes());
    reader
        .deserialize()
        .map(|row| row.map_err(|e| format!("municipalities.csv: {e}")))
        .collect()
}

/// One jobcentre per distinct `jobcentre` id. Where two municipalities share a jobcentre, the
/// organisation takes its name and RAR area from the municipality whose code is in its id
/// (`jc-<code>`), falling back to the first municipality that names it.
pub fn jobcentres(rows: &[MunicipalityRow]) -> Vec<JobcentreRow> {
    let mut out: Vec<JobcentreRow> = Vec::new();
    for row in rows {
        if out.iter().any(|j| j.id == row.jobcentre) {
            continue;
        }
        let home = rows
            .iter()
            .find(|m| row.jobcentre.strip_prefix("jc-") == Some(m.code.as_str()))
            .unwrap_or(row);
        out.push(JobcentreRow {
            id: row.jobcentre.clone(),
            name: format!("Jobcenter {}", home.name),
            municipality_code: home.code.clone(),
            rar_area: home.rar_area.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_98_municipalities_and_valid_ids() {
        let rows = municipalities().expect("csv parses");
        assert_eq!(rows.len(), 98);
        for r in &rows {
            assert_eq!(r.code.len(), 3, "{r:?}");
            assert!(r.jobcentre.starts_with("jc-"), "{r:?}");
        }
        let jcs = jobcentres(&rows);
        assert!(jcs.len() <= 98 && jcs.len() >= 90, "{}", jcs.len());
        let kbh = jcs.iter().find(|j| j.id == "jc-101").expect("jc-101");
        assert_eq!(kbh.name, "Jobcenter København");
    }

    #[test]
    fn shared_jobcentre_becomes_one_organisation() {
        let mut rows = municipalities().expect("csv parses");
        // An operator merges Læsø (825) into Frederikshavn's jobcentre (813).
        for r in rows.iter_mut().filter(|r| r.code == "825") {
            r.jobcentre = "jc-813".into();
        }
        let jcs = jobcentres(&rows);
        assert_eq!(jcs.iter().filter(|j| j.id == "jc-813").count(), 1);
        assert!(jcs.iter().all(|j| j.id != "jc-825"));
        let merged = jcs.iter().find(|j| j.id == "jc-813").expect("jc-813");
        assert_eq!(merged.municipality_code, "813");
    }
}
