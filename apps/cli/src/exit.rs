//! Exit codes and how failures are printed.

use std::process::ExitCode;

/// Why a command failed, with the exit code it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 1: any other error.
    Error = 1,
    /// 2: bad usage (also clap's code).
    Usage = 2,
    /// 3: wrong password, or the store is locked out.
    Password = 3,
    /// 4: the call could not be made or was refused.
    CallFailed = 4,
    /// 5: the key store is missing, damaged or disconnected.
    Store = 5,
    /// 6: the call ended abnormally.
    CallAborted = 6,
    /// 7: `contacts import`: the card's key is already in the address book.
    AlreadyKnown = 7,
    /// 8: `contacts import`: the name is a contact's with a different key
    /// (run again with `--replace` to confirm the new key).
    KeyChanged = 8,
    /// 9: `message`: not delivered yet; the message stays queued (`listen`
    /// sends it when the contact can be reached, for up to 7 days).
    Queued = 9,
    /// 10: `send-file`: the file did not arrive (declined, too big for
    /// them, or it failed its check); the message says which.
    FileFailed = 10,
    /// 11: `send-file`: the connection ended mid-transfer; the same command
    /// again resumes where it stopped.
    FileInterrupted = 11,
}

/// A failure to report.
#[derive(Debug)]
pub struct Failure {
    /// Exit code.
    pub code: Code,
    /// What to tell the user.
    pub message: String,
}

impl Failure {
    /// A failure with `code`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A general error.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Code::Error, message)
    }

    /// Bad usage.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Code::Usage, message)
    }

    /// Prints the failure (JSON on stdout with `--json`, else text on
    /// stderr) and returns the exit code.
    pub fn report(&self, json: bool) -> ExitCode {
        if json {
            let v = serde_json::json!({
                "event": "failure",
                "code": self.code as u8,
                "message": self.message,
            });
            crate::front::print_line(&v.to_string());
        } else {
            eprintln!("susurro-cli: {}", self.message);
        }
        ExitCode::from(self.code as u8)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::error(format!("{e:#}"))
    }
}
