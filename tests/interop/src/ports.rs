//! Free-port allocation on 127.0.0.1.
//!
//! Tests run in parallel threads and other test binaries (and other developers' processes) share the
//! machine, so "bind to :0 and hand the number out" is racy for peers that must be told their port
//! up front. Instead each call reserves a *block* of consecutive ports from a per-process cursor that
//! starts at a random offset, and checks every port of the block is bindable for UDP and TCP right now.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::OnceLock;

use crate::error::{HarnessError, Result};

const RANGE_START: u16 = 20_000;
const RANGE_END: u16 = 59_000;

fn cursor() -> &'static AtomicU16 {
    static CURSOR: OnceLock<AtomicU16> = OnceLock::new();
    CURSOR.get_or_init(|| {
        let span = RANGE_END - RANGE_START;
        let offset = rand::random::<u16>() % span;
        AtomicU16::new(RANGE_START + offset)
    })
}

/// True if `port` can be bound on 127.0.0.1 for both UDP and TCP at this moment.
pub fn is_free(port: u16) -> bool {
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    UdpSocket::bind(addr).is_ok() && TcpListener::bind(addr).is_ok()
}

/// How far apart the candidate starts of a large block are: stepping by the block's own size
/// left an 8000-port block (rtpengine's range in the switch benchmark) only four places to try
/// in the whole range, and one busy port in each (other tests' sockets) failed the test.
const MAX_STEP: u16 = 512;

/// Reserve `count` consecutive ports (UDP+TCP free) and return the first one.
pub fn port_block(count: u16) -> Result<u16> {
    let count = count.max(1);
    let span = RANGE_END - RANGE_START;
    let step = count.min(MAX_STEP);
    // Bounded: at most one sweep over the whole range.
    for _ in 0..(span / step).max(1) {
        let start = cursor().fetch_add(step, Ordering::Relaxed);
        let start = if start < RANGE_START || start.saturating_add(count) > RANGE_END {
            cursor().store(RANGE_START + step, Ordering::Relaxed);
            RANGE_START
        } else {
            start
        };
        if (start..start + count).all(is_free) {
            // Later blocks of this process start after this one.
            cursor().fetch_max(start.saturating_add(count), Ordering::Relaxed);
            return Ok(start);
        }
    }
    Err(HarnessError::NoFreePorts(count))
}

/// One free port.
pub fn free_port() -> Result<u16> {
    port_block(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_do_not_overlap_and_are_bindable() {
        let a = port_block(10).unwrap();
        let b = port_block(10).unwrap();
        assert!(a + 10 <= b || b + 10 <= a, "blocks {a} and {b} overlap");
        assert!((a..a + 10).all(is_free));
    }

    #[test]
    fn a_large_block_is_found_past_a_busy_port() {
        let busy = UdpSocket::bind("127.0.0.1:0").unwrap();
        let block = port_block(8000).unwrap();
        let port = busy.local_addr().unwrap().port();
        assert!(!(block..block + 8000).contains(&port));
        assert!((block..block + 8000).all(is_free));
    }

    #[test]
    fn occupied_port_is_not_free() {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        assert!(!is_free(port));
    }
}
