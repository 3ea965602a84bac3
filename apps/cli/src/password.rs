//! Where a password comes from: a file, the environment, or a prompt.

use std::path::Path;

use zeroize::Zeroizing;

use crate::exit::Failure;

/// Environment variable holding the password (for scripts).
pub const ENV: &str = "SUSURRO_PASSWORD";

/// Reads the password: `--password-file`, else `SUSURRO_PASSWORD`, else a
/// prompt on the terminal (twice when `confirm`).
pub fn read(file: Option<&Path>, confirm: bool) -> Result<Zeroizing<String>, Failure> {
    let pw = if let Some(f) = file {
        let text = Zeroizing::new(std::fs::read_to_string(f).map_err(|e| {
            Failure::usage(format!(
                "cannot read the password file {}: {e}",
                f.display()
            ))
        })?);
        Zeroizing::new(text.lines().next().unwrap_or_default().to_owned())
    } else if let Ok(v) = std::env::var(ENV) {
        Zeroizing::new(v)
    } else {
        let first = Zeroizing::new(rpassword::prompt_password("Password: ").map_err(|e| {
            Failure::usage(format!(
                "cannot read a password: {e}; use --password-file or {ENV}"
            ))
        })?);
        if confirm {
            let again = Zeroizing::new(
                rpassword::prompt_password("Password again: ")
                    .map_err(|e| Failure::usage(format!("cannot read a password: {e}")))?,
            );
            if *again != *first {
                return Err(Failure::usage("the two passwords differ"));
            }
        }
        first
    };
    if pw.is_empty() {
        return Err(Failure::usage("the password is empty"));
    }
    Ok(pw)
}
