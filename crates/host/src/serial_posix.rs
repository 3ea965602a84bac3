//! Opening a serial port with the POSIX termios calls, for systems where the
//! `serialport` crate's Linux path cannot run.
//!
//! On Linux `serialport` sets the line with the `TCGETS2`/`TCSETS2` ioctls
//! (termios2, for arbitrary rates). Some environments do not translate them:
//! QEMU's user-mode emulator (Debian 12's qemu-user 7.2 answers `ENOSYS`,
//! 10.0 `ENOTTY`), which is how the box's arm64 build is tested on an x86
//! machine, and some sandboxes. The classic `tcgetattr`/`tcsetattr` calls
//! (glibc's `TCGETS`/`TCSETS`) work there, for the standard rates only.
//! [`SerialConnector`](crate::SerialConnector) falls back to this when
//! `serialport` fails with one of those two errors, or always when told to.
//!
//! The line is set as `serialport` sets it: raw, 8 data bits, no parity,
//! one stop bit, no flow control, receiver on, modem lines ignored; the
//! descriptor is locked with `TIOCEXCL`'s portable cousin, an exclusive
//! `flock`, so a second opener is refused. Reads return after 100 ms
//! without data (`VMIN` 0, `VTIME` 1) so the bridge notices a closed link.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

use nix::errno::Errno;
use nix::fcntl::{FlockArg, OFlag, flock};
use nix::sys::termios::{
    BaudRate, ControlFlags, FlushArg, SetArg, SpecialCharacterIndices, cfmakeraw, cfsetspeed,
    tcflush, tcgetattr, tcsetattr,
};

/// Whether `serialport`'s error is the one an unsupported termios2 ioctl
/// gives (its message is the errno's description).
pub(crate) fn is_termios2_unsupported(e: &serialport::Error) -> bool {
    matches!(e.kind, serialport::ErrorKind::Unknown)
        && (e.description == Errno::ENOSYS.desc() || e.description == Errno::ENOTTY.desc())
}

/// The termios constant of a standard rate.
pub(crate) fn baud_rate(baud: u32) -> io::Result<BaudRate> {
    Ok(match baud {
        9_600 => BaudRate::B9600,
        19_200 => BaudRate::B19200,
        38_400 => BaudRate::B38400,
        57_600 => BaudRate::B57600,
        115_200 => BaudRate::B115200,
        230_400 => BaudRate::B230400,
        460_800 => BaudRate::B460800,
        500_000 => BaudRate::B500000,
        576_000 => BaudRate::B576000,
        921_600 => BaudRate::B921600,
        1_000_000 => BaudRate::B1000000,
        1_152_000 => BaudRate::B1152000,
        1_500_000 => BaudRate::B1500000,
        2_000_000 => BaudRate::B2000000,
        3_000_000 => BaudRate::B3000000,
        4_000_000 => BaudRate::B4000000,
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{other} baud is not a standard rate (the POSIX termios calls set only \
                     standard rates such as 115200 or 921600)"
                ),
            ));
        }
    })
}

/// Opens `path` as a raw 8N1 line at `baud`; the file reads and writes it.
pub(crate) fn open(path: &str, baud: u32) -> io::Result<File> {
    let rate = baud_rate(baud)?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags((OFlag::O_NOCTTY | OFlag::O_CLOEXEC).bits())
        .open(path)?;
    let fd = file.as_raw_fd();
    flock(fd, FlockArg::LockExclusiveNonblock).map_err(|e| {
        io::Error::new(
            io::ErrorKind::ResourceBusy,
            format!("{path} is in use by another program ({e})"),
        )
    })?;
    let mut t = tcgetattr(fd)?;
    cfmakeraw(&mut t);
    t.control_flags |= ControlFlags::CREAD | ControlFlags::CLOCAL | ControlFlags::CS8;
    t.control_flags &= !(ControlFlags::PARENB | ControlFlags::CSTOPB | ControlFlags::CRTSCTS);
    t.control_chars[SpecialCharacterIndices::VMIN as usize] = 0;
    t.control_chars[SpecialCharacterIndices::VTIME as usize] = 1;
    cfsetspeed(&mut t, rate)?;
    tcsetattr(fd, SetArg::TCSANOW, &t)?;
    let applied = tcgetattr(fd)?;
    if applied.control_flags != t.control_flags
        || applied.input_flags != t.input_flags
        || applied.local_flags != t.local_flags
    {
        return Err(io::Error::other(format!(
            "{path}: the line settings did not apply"
        )));
    }
    tcflush(fd, FlushArg::TCIOFLUSH)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn standard_rates_map_and_others_are_refused_by_name() {
        assert_eq!(baud_rate(115_200).unwrap(), BaudRate::B115200);
        assert_eq!(baud_rate(921_600).unwrap(), BaudRate::B921600);
        let e = baud_rate(250_000).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("250000 baud"), "{e}");
    }

    #[test]
    fn only_the_unsupported_ioctl_errors_fall_back() {
        let unsupported =
            serialport::Error::new(serialport::ErrorKind::Unknown, Errno::ENOSYS.desc());
        let not_tty = serialport::Error::new(serialport::ErrorKind::Unknown, Errno::ENOTTY.desc());
        let busy =
            serialport::Error::new(serialport::ErrorKind::NoDevice, "Device or resource busy");
        let missing = serialport::Error::new(
            serialport::ErrorKind::Io(io::ErrorKind::NotFound),
            Errno::ENOENT.desc(),
        );
        assert!(is_termios2_unsupported(&unsupported));
        assert!(is_termios2_unsupported(&not_tty));
        assert!(!is_termios2_unsupported(&busy));
        assert!(!is_termios2_unsupported(&missing));
    }

    #[test]
    fn a_missing_device_is_an_error_naming_nothing_else() {
        let e = open("/nonexistent/susurro-serial", 115_200).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
