//! Which address a request comes from. Behind a trusted proxy (`--trusted-proxy CIDR`) it is
//! the client the proxy names in `Forwarded` (RFC 7239) or `X-Forwarded-For`: the rightmost
//! address of the chain that is not itself a trusted proxy. From any other peer, or when the
//! headers cannot be read, it is the TCP peer: a client never chooses its own address.

use hyper::header::{HeaderMap, HeaderValue};
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

/// A range of addresses, `10.0.0.0/8` or `::1/128`; a bare address is a range of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let bad = || {
            format!("\"{s}\" is not an address range such as 127.0.0.1/32, 10.0.0.0/8 or ::1/128")
        };
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let net = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        let cidr = Cidr { net, prefix };
        if cidr.mask(net) != net {
            return Err(format!(
                "\"{s}\" has bits set past its prefix length; did you mean {}/{prefix}?",
                cidr.mask(net)
            ));
        }
        Ok(cidr)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

impl Cidr {
    /// `ip` with the bits past this range's prefix cleared.
    fn mask(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => {
                let m = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(v4) & m).into())
            }
            IpAddr::V6(v6) => {
                let m = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(v6) & m).into())
            }
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        ip.is_ipv4() == self.net.is_ipv4() && self.mask(ip) == self.net
    }
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`, as a dual-stack socket reports it)
/// is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// What `TrustedProxies::client` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub addr: IpAddr,
    /// The request came through a trusted proxy, which named `addr`.
    pub forwarded: bool,
    /// Why the proxy's headers could not be used (the address is then the peer's).
    pub problem: Option<String>,
}

/// The `--trusted-proxy` ranges.
#[derive(Debug, Default)]
pub struct TrustedProxies {
    ranges: Vec<Cidr>,
    /// A warning that a proxy seems to be in front but none is trusted was logged.
    warned: AtomicBool,
}

impl TrustedProxies {
    pub fn new(ranges: Vec<Cidr>) -> TrustedProxies {
        TrustedProxies {
            ranges,
            warned: AtomicBool::new(false),
        }
    }

    pub fn ranges(&self) -> &[Cidr] {
        &self.ranges
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.ranges.iter().any(|r| r.contains(ip))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Client {
        let peer = canonical(peer);
        let direct = Client {
            addr: peer,
            forwarded: false,
            problem: None,
        };
        if !self.contains(peer) {
            if self.ranges.is_empty()
                && peer.is_loopback()
                && headers.contains_key("x-forwarded-for")
                && !self.warned.swap(true, Ordering::Relaxed)
            {
                crate::log::log(
                    "warn",
                    "requests come through a proxy on this machine (X-Forwarded-For), but no --trusted-proxy is set: every client counts as the proxy's address in rate limits; add --trusted-proxy 127.0.0.1/32",
                    &[("peer", &peer)],
                );
            }
            return direct;
        }
        let forwarded = read_header(headers, "forwarded").map(|v| self.rightmost(v, true));
        let xff = read_header(headers, "x-forwarded-for").map(|v| self.rightmost(v, false));
        let found = match (forwarded, xff) {
            (None, None) => return direct,
            (Some(a), None) | (None, Some(a)) => a,
            (Some(Ok(a)), Some(Ok(b))) if a == b => Ok(a),
            (Some(Ok(a)), Some(Ok(b))) => Err(format!(
                "Forwarded names {a} and X-Forwarded-For {b}; a proxy should set one and remove the other"
            )),
            (Some(Err(e)), _) | (_, Some(Err(e))) => Err(e),
        };
        match found {
            Ok(addr) => Client {
                addr,
                forwarded: true,
                problem: None,
            },
            Err(problem) => Client {
                problem: Some(problem),
                ..direct
            },
        }
    }

    /// The rightmost address of a header's chain (its fields, in order) that is not a trusted
    /// proxy; the leftmost if all are. Only the part right of it is read, field by field from
    /// the last: what a client wrote further left cannot make the header unreadable.
    fn rightmost(
        &self,
        fields: Result<Vec<&str>, String>,
        rfc7239: bool,
    ) -> Result<IpAddr, String> {
        let name = if rfc7239 {
            "Forwarded"
        } else {
            "X-Forwarded-For"
        };
        let mut last = None;
        for field in fields?.iter().rev() {
            let elements = if rfc7239 {
                forwarded_fors(field)
            } else {
                Ok(field
                    .split(',')
                    .map(|e| Some(e.trim().to_string()))
                    .collect())
            }
            .map_err(|e| format!("{name}: {e}"))?;
            for element in elements.iter().rev() {
                let node = element
                    .as_deref()
                    .ok_or_else(|| format!("{name}: an element without for="))?;
                let ip = parse_node(node)
                    .map(canonical)
                    .ok_or_else(|| format!("{name}: \"{}\" is not an address", clip(node)))?;
                if !self.contains(ip) {
                    return Ok(ip);
                }
                last = Some(ip);
            }
        }
        last.ok_or_else(|| format!("{name} is empty"))
    }
}

/// The fields of a header, in order (a list header may come in several); `Err` if a field is
/// not text.
fn read_header<'h>(headers: &'h HeaderMap, name: &str) -> Option<Result<Vec<&'h str>, String>> {
    let mut fields = headers.get_all(name).iter().peekable();
    fields.peek()?;
    let text: Result<Vec<&str>, _> = fields.map(HeaderValue::to_str).collect();
    Some(text.map_err(|_| format!("{name}: not ASCII text")))
}

fn clip(s: &str) -> &str {
    match s.char_indices().nth(60) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// An address as a hop is written: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711` or a bare `2001:db8::1`. `unknown` and obfuscated names (`_hidden`)
/// give no address.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    if let Some(rest) = node.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port_ok = after.is_empty()
            || after
                .strip_prefix(':')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        return port_ok
            .then(|| v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6))
            .flatten();
    }
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    let (v4, port) = node.rsplit_once(':')?;
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        .then(|| v4.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4))
        .flatten()
}

/// The `for=` value of each element of a `Forwarded` header (RFC 7239 §4):
///
/// ```text
/// Forwarded         = 1#forwarded-element          ; elements separated by ","
/// forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
/// forwarded-pair    = token "=" value
/// value             = token / quoted-string        ; quoted: "\" escapes the next character
/// ```
///
/// `None` for an element without `for`; `Err` for anything that does not follow the grammar
/// or names `for` twice in one element.
fn forwarded_fors(value: &str) -> Result<Vec<Option<String>>, String> {
    let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    let mut for_value: Option<String> = None;
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        match chars.peek() {
            None => {
                out.push(for_value.take());
                return Ok(out);
            }
            Some(',') => {
                chars.next();
                out.push(for_value.take());
                continue;
            }
            Some(';') => {
                chars.next();
                continue;
            }
            _ => {}
        }
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| is_tchar(*c)) {
            name.push(c.to_ascii_lowercase());
        }
        if name.is_empty() || chars.next() != Some('=') {
            return Err("not name=value pairs".into());
        }
        let mut v = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => v.push(chars.next().ok_or("an unfinished quoted value")?),
                    Some(c) => v.push(c),
                    None => return Err("an unfinished quoted value".into()),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| is_tchar(*c) || *c == ':') {
                v.push(c);
            }
            if v.is_empty() {
                return Err(format!("an empty value for {name}"));
            }
        }
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        if !matches!(chars.peek(), None | Some(',') | Some(';')) {
            return Err(format!("unexpected text after {name}="));
        }
        if name == "for" && for_value.replace(v).is_some() {
            return Err("for= twice in one element".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(ranges: &[&str]) -> TrustedProxies {
        TrustedProxies::new(ranges.iter().map(|r| r.parse().expect("range")).collect())
    }

    fn headers(list: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in list {
            h.append(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        h
    }

    #[test]
    fn ranges() {
        for (range, ip, inside) in [
            ("127.0.0.1/32", "127.0.0.1", true),
            ("127.0.0.1/32", "127.0.0.2", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("10.0.0.0/8", "10.200.3.4", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "2001:db8::1", false),
            ("127.0.0.1/32", "::ffff:127.0.0.1", true),
            ("::1/128", "::1", true),
            ("::1/128", "127.0.0.1", false),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("::/0", "::1", true),
        ] {
            let r: Cidr = range.parse().expect(range);
            assert_eq!(r.contains(ip.parse().expect(ip)), inside, "{range} {ip}");
        }
        for bad in [
            "",
            "localhost",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/-1",
            "10.0.0.1/8",
            "1.2.3/24",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            "10.0.0.1/8".parse::<Cidr>().unwrap_err(),
            "\"10.0.0.1/8\" has bits set past its prefix length; did you mean 10.0.0.0/8?"
        );
    }

    /// (peer, headers, client, read from the headers, a problem logged)
    #[test]
    #[rustfmt::skip]
    fn the_client_is_the_rightmost_untrusted_address() {
        let p = proxies(&["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
        let (xff, fwd) = ("x-forwarded-for", "forwarded");
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, bool, bool);
        let cases: &[Case] = &[
            // No proxy in front: the headers are the client's own words, ignored.
            ("203.0.113.5", &[(xff, "198.51.100.1")], "203.0.113.5", false, false),
            ("203.0.113.5", &[(fwd, "for=198.51.100.1")], "203.0.113.5", false, false),
            // Through the proxy.
            ("127.0.0.1", &[], "127.0.0.1", false, false),
            ("127.0.0.1", &[(xff, "198.51.100.1")], "198.51.100.1", true, false),
            ("::ffff:127.0.0.1", &[(xff, "198.51.100.1")], "198.51.100.1", true, false),
            ("::1", &[(xff, "2001:db8::7")], "2001:db8::7", true, false),
            // The client's own X-Forwarded-For is left of what the proxy appended.
            ("127.0.0.1", &[(xff, "1.1.1.1, 198.51.100.1")], "198.51.100.1", true, false),
            ("127.0.0.1", &[(xff, "garbage;;, 198.51.100.1")], "198.51.100.1", true, false),
            // Chains of trusted proxies are skipped, from the right.
            ("127.0.0.1", &[(xff, "198.51.100.1, 10.1.1.1,10.2.2.2")], "198.51.100.1", true, false),
            ("127.0.0.1", &[(xff, "198.51.100.1"), (xff, "10.2.2.2")], "198.51.100.1", true, false),
            ("127.0.0.1", &[(xff, "10.9.9.9, 10.2.2.2")], "10.9.9.9", true, false),
            // Ports and brackets, as some proxies write them.
            ("127.0.0.1", &[(xff, "198.51.100.1:5123")], "198.51.100.1", true, false),
            ("127.0.0.1", &[(xff, "[2001:db8::7]:443")], "2001:db8::7", true, false),
            // RFC 7239.
            ("127.0.0.1", &[(fwd, "for=198.51.100.1;proto=https;by=127.0.0.1")], "198.51.100.1", true, false),
            ("127.0.0.1", &[(fwd, "for=1.1.1.1, For=\"198.51.100.1:80\"")], "198.51.100.1", true, false),
            ("127.0.0.1", &[(fwd, "for=\"[2001:db8:cafe::17]:4711\"")], "2001:db8:cafe::17", true, false),
            ("127.0.0.1", &[(fwd, "proto=https;for=198.51.100.1, for=10.0.0.2")], "198.51.100.1", true, false),
            ("127.0.0.1", &[(fwd, "for=\"a,b\";by=x, for=198.51.100.1")], "198.51.100.1", true, false),
            // Unquoted and unbracketed, against the RFC, but unambiguous.
            ("127.0.0.1", &[(fwd, "for=2001:db8::1")], "2001:db8::1", true, false),
            // A client's broken field, left of the proxy's own, is not read.
            ("127.0.0.1", &[(fwd, "for=\"1.2.3.4"), (fwd, "for=198.51.100.1")], "198.51.100.1", true, false),
            // Both headers, agreeing.
            ("127.0.0.1", &[(fwd, "for=198.51.100.1"), (xff, "198.51.100.1")], "198.51.100.1", true, false),
            // Malformed: the peer's address, and a line in the log.
            ("127.0.0.1", &[(xff, "")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(xff, "198.51.100.1, nonsense")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(xff, "198.51.100.1,")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(xff, "unknown")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(xff, "2001:db8::1:99999")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(fwd, "for=unknown")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(fwd, "for=_hidden")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(fwd, "proto=https")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(fwd, "for=\"198.51.100.1")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(fwd, "for=198.51.100.1"), (fwd, "for=\"1.2.3.4")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(fwd, "for=1.2.3.4;for=5.6.7.8")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(fwd, "for 1.2.3.4")], "127.0.0.1", false, true),
            ("127.0.0.1", &[(fwd, "for=")], "127.0.0.1", false, true),
            // A client's own Forwarded passed through a proxy that sets X-Forwarded-For.
            ("127.0.0.1", &[(fwd, "for=1.1.1.1"), (xff, "198.51.100.1")], "127.0.0.1", false, true),
        ];
        for (peer, hs, client, forwarded, problem) in cases {
            let got = p.client(peer.parse().expect(peer), &headers(hs));
            let want: IpAddr = client.parse().expect(client);
            assert_eq!(
                (got.addr, got.forwarded, got.problem.is_some()),
                (want, *forwarded, *problem),
                "{peer} {hs:?}: {:?}",
                got.problem
            );
        }
    }

    #[test]
    fn forwarded_grammar() {
        assert_eq!(
            forwarded_fors("for=a;by=b, ;, by=c,for=\"x\\\"y\"").expect("parses"),
            vec![Some("a".into()), None, None, Some("x\"y".into())]
        );
        assert_eq!(forwarded_fors("").expect("parses"), vec![None]);
        for bad in ["=x", "for", "for=a b", "for=\"a", "for=\"a\\"] {
            assert!(forwarded_fors(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn non_text_header_is_malformed() {
        let p = proxies(&["127.0.0.1/32"]);
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"1.2.3.4\xff").expect("value"),
        );
        let c = p.client("127.0.0.1".parse().expect("ip"), &h);
        assert_eq!(c.addr, "127.0.0.1".parse::<IpAddr>().expect("ip"));
        assert!(c.problem.is_some());
    }
}
