#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod clock;
mod connector;
mod fault;
mod host;
mod link_task;
#[cfg(target_os = "linux")]
mod serial_posix;
mod signal;
#[cfg(feature = "testing")]
pub mod testing;

pub use crate::clock::Clock;
pub use crate::connector::{
    BoxIo, ChildConnector, ConnectFuture, Connector, MemoryConnector, SerialConnector,
    StdioConnector, TcpAcceptor, TcpConnector,
};
pub use crate::fault::{FaultConfig, FaultControl, FaultPlan, FaultyConnector};
pub use crate::host::{Endpoint, Host, HostBuilder, HostError, HostStats, LinkSpec};
pub use crate::signal::stop_signal;
