//! SeaORM entities of Kontaktpunkt and the domain enums they store.

pub mod activity;
pub mod activity_participant;
pub mod agreement;
pub mod audit_event;
pub mod audit_event_subject;
pub mod calendar_feed;
pub mod call_list_entry;
pub mod campaign;
pub mod company;
pub mod company_contact;
pub mod contact_person;
pub mod enums;
pub mod follow_up;
pub mod job_service_agreement;
pub mod job_service_agreement_participant;
pub mod municipality;
pub mod organisation;
pub mod production_unit;
pub mod survey_response;
pub mod time;
