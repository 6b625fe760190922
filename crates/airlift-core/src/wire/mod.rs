//! JSON shapes exchanged over the fleet API (requests and responses), shared by the server and
//! every client so both sides serialize the same structs.
