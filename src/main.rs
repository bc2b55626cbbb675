// A request builds and drops many small values (rows, GraphQL values, JSON); glibc's
// allocator spent about a third of the server's CPU on a 100-company page (perf, bench/run
// deep list). mimalloc's thread-local free lists make that a small share.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    api::cli::main()
}
