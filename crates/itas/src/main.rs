//! The `itas` command: one binary for the whole assessment cycle.

mod cli;

/// A server allocating many small strings per request on few cores: mimalloc
/// measured faster than the system allocator (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc 3 keeps freed memory for a second before it gives it back (its
/// purge delay, 1,000 ms by default). A national scoring run frees memory
/// fast enough that the part held took the server past 200 MB (195 to 216 MB
/// at its peak); 10 ms, mimalloc 2's default, kept it at 168 to 177 MB with
/// the same speed (README, Performance). `MIMALLOC_PURGE_DELAY` still wins.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// `mi_option_purge_delay` in the bundled mimalloc's enum of options, which
/// its bindings leave unnamed; a test checks that it is the purge delay.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    give_freed_memory_back_sooner();
    let args = cli::Cli::parse();
    cli::run(args)
}

/// Sets the purge delay unless the environment already has.
#[allow(unsafe_code)]
fn give_freed_memory_back_sooner() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain C call setting one integer option, made before any
        // thread but this one exists.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)]
    fn the_option_set_at_start_is_mimallocs_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // The bundled mimalloc 3 has one option defaulting to 1,000: the
        // purge delay in milliseconds. Another index would be another option.
        // SAFETY: reads one option.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(
            default, 1000,
            "option {MI_OPTION_PURGE_DELAY} is not the purge delay"
        );
    }
}
