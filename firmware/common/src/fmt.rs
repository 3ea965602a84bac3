//! Logging shim: `defmt` on the board (feature `defmt`), nothing otherwise.
//! Never pass secrets: only counters, states and error kinds are logged.

#[cfg(feature = "defmt")]
macro_rules! info {
    ($($t:tt)*) => { ::defmt::info!($($t)*) };
}
#[cfg(feature = "defmt")]
macro_rules! warn {
    ($($t:tt)*) => { ::defmt::warn!($($t)*) };
}

#[cfg(not(feature = "defmt"))]
macro_rules! info {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {{ $( let _ = &$arg; )* }};
}
#[cfg(not(feature = "defmt"))]
macro_rules! warn {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {{ $( let _ = &$arg; )* }};
}
