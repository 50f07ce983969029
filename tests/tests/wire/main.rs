//! What each operation puts on the wire (method, path, headers as a set,
//! body fields as a set, every value byte for byte), and the decoding of
//! the contract's documented answers. One module per operation or
//! concern; one binary.

mod authorize;
mod bytes;
mod generated;
mod indie;
mod logout;
mod settings;
mod token;
