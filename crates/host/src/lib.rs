#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod clock;
pub mod connector;
pub mod fault;
pub mod host;
mod link_task;
pub mod testing;

pub use crate::clock::Clock;
pub use crate::connector::{
    BoxIo, ChildConnector, Connector, MemoryConnector, SerialConnector, StdioConnector,
    TcpAcceptor, TcpConnector,
};
pub use crate::fault::{FaultConfig, FaultControl, FaultPlan, FaultyConnector};
pub use crate::host::{Endpoint, Host, HostBuilder, HostError, HostStats, LinkSpec};
