//! Which network addresses outbound federation may connect to. Public unicast only:
//! private, loopback, link-local, unspecified, multicast, broadcast, documentation,
//! benchmarking, CGNAT, reserved, unique-local and site-local v6, and v6 forms that
//! embed a refused v4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are refused,
//! unless `federation.allow_private_addresses` is set (tests and development).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The decision rule applied to every address the client connects to.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// Allow everything (and plain http): `federation.allow_private_addresses`.
    pub allow_private: bool,
    /// Test-only: exact socket addresses treated as public and reachable over plain
    /// http even with `allow_private` off, so a test can stand up a "public" server on
    /// loopback and check that a redirect from it to a private address is refused.
    /// Production code never sets it (the configuration has no key for it).
    pub exempt: Vec<SocketAddr>,
}

impl AddressPolicy {
    /// Whether connecting to `ip` is allowed (resolver results: the port is not known).
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }

    /// Whether connecting to `addr` is allowed (IP-literal URLs, which skip the resolver).
    pub fn allows_socket(&self, addr: SocketAddr) -> bool {
        self.allows_ip(addr.ip()) || self.exempt.contains(&addr)
    }

    /// Whether plain `http://` to `addr` (when an IP literal) is allowed.
    pub fn allows_plain_http(&self, literal: Option<SocketAddr>) -> bool {
        self.allow_private || literal.is_some_and(|a| self.exempt.contains(&a))
    }
}

/// Whether `ip` is a globally routable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0                                   // "this network", unspecified
        || a == 10                                         // private
        || a == 127                                        // loopback
        || (a == 100 && (64..128).contains(&b))            // CGNAT 100.64/10
        || (a == 169 && b == 254)                          // link-local (cloud metadata)
        || (a == 172 && (16..32).contains(&b))             // private
        || (a == 192 && b == 0 && c == 0)                  // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)                  // TEST-NET-1
        || (a == 192 && b == 88 && c == 99)                // 6to4 relay anycast
        || (a == 192 && b == 168)                          // private
        || (a == 198 && (b == 18 || b == 19))              // benchmarking
        || (a == 198 && b == 51 && c == 100)               // TEST-NET-2
        || (a == 203 && b == 0 && c == 113)                // TEST-NET-3
        || a >= 224; // multicast 224/4, reserved 240/4, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    // IPv4-compatible (deprecated) ::a.b.c.d, loopback ::1 and unspecified :: included.
    if s[..6] == [0; 6] {
        return false;
    }
    // NAT64 well-known prefix 64:ff9b::/96: the embedded v4 address decides.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // 6to4 2002::/16: the v4 address in bits 16..48 decides.
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    let refused = s[0] == 0x0064 && s[1] == 0xff9b             // NAT64 local-use 64:ff9b:1::/48
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])            // discard-only 100::/64
        || (s[0] == 0x2001 && s[1] < 0x0200)                   // IETF protocol assignments 2001::/23 (Teredo...)
        || (s[0] == 0x2001 && s[1] == 0x0db8)                  // documentation
        || (s[0] & 0xfff0) == 0x3ff0                           // documentation 3fff::/20
        || (s[0] & 0xfe00) == 0xfc00                           // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80                           // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0                           // site-local fec0::/10 (deprecated)
        || (s[0] & 0xff00) == 0xff00; // multicast
    !refused
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn refuses_every_special_range() {
        for s in [
            "0.0.0.0",
            "10.1.2.3",
            "127.0.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(!is_public(ip(s)), "{s} must be refused");
        }
    }

    #[test]
    fn allows_public_unicast() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.0.1",
            "172.32.0.1",
            "192.169.0.1",
            "93.184.216.34",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2606:4700:4700::1111",
            "2a01:4f8::1",
        ] {
            assert!(is_public(ip(s)), "{s} must be allowed");
        }
    }

    #[test]
    fn the_allowance_and_the_test_exemption() {
        let open = AddressPolicy { allow_private: true, exempt: vec![] };
        assert!(open.allows_ip(ip("127.0.0.1")) && open.allows_plain_http(None));
        let exempt: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let strict = AddressPolicy { allow_private: false, exempt: vec![exempt] };
        assert!(strict.allows_socket(exempt));
        assert!(strict.allows_plain_http(Some(exempt)));
        assert!(!strict.allows_socket("127.0.0.1:8081".parse().unwrap()));
        assert!(!strict.allows_ip(ip("127.0.0.1")));
        assert!(!strict.allows_plain_http(None));
    }

    proptest! {
        #[test]
        fn mapped_v6_decides_like_its_v4(bits: u32) {
            let v4 = Ipv4Addr::from(bits);
            prop_assert_eq!(is_public(IpAddr::V6(v4.to_ipv6_mapped())), is_public(IpAddr::V4(v4)));
        }

        #[test]
        fn six_to_four_decides_like_its_v4(bits: u32, rest: u64) {
            let v4 = Ipv4Addr::from(bits);
            let o = v4.octets();
            let s = [0x2002, u16::from_be_bytes([o[0], o[1]]), u16::from_be_bytes([o[2], o[3]]),
                (rest >> 48) as u16, (rest >> 32) as u16, (rest >> 16) as u16, rest as u16, 1];
            prop_assert_eq!(is_public(IpAddr::V6(Ipv6Addr::from(s))), is_public(IpAddr::V4(v4)));
        }
    }
}
