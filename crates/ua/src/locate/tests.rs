use super::*;
use std::time::Duration;

fn srv(priority: u16, weight: u16, port: u16, target: &str) -> Srv {
    Srv {
        priority,
        weight,
        port,
        target: target.into(),
    }
}

fn targets_of(v: &[Srv]) -> Vec<&str> {
    v.iter().map(|r| r.target.as_str()).collect()
}

#[test]
fn plan_follows_rfc3263_4_2() {
    let p = |u: &str, t| plan(&SipUri::parse(u).unwrap(), t);
    assert_eq!(
        p("sip:a@192.0.2.1", Transport::Udp),
        Plan::Literal("192.0.2.1:5060".parse().unwrap())
    );
    assert_eq!(
        p("sip:a@[::1]:5070", Transport::Tcp),
        Plan::Literal("[::1]:5070".parse().unwrap())
    );
    assert_eq!(
        p("sip:a@pbx.example.com:5080", Transport::Udp),
        Plan::Host {
            host: "pbx.example.com".into(),
            port: 5080
        }
    );
    assert_eq!(
        p("sip:a@Example.COM", Transport::Udp),
        Plan::Service {
            domain: "example.com".into(),
            naptr: true,
            srv_name: "_sip._udp.example.com".into(),
            default_port: 5060
        }
    );
    assert_eq!(
        p("<sip:a@example.com;transport=tcp>", Transport::Tcp),
        Plan::Service {
            domain: "example.com".into(),
            naptr: false,
            srv_name: "_sip._tcp.example.com".into(),
            default_port: 5060
        }
    );
    for (uri, t) in [
        ("sip:a@example.com", Transport::Tls),
        ("sips:a@example.com", Transport::Tcp),
    ] {
        match p(uri, t) {
            Plan::Service {
                srv_name,
                default_port,
                ..
            } => {
                assert_eq!(srv_name, "_sips._tcp.example.com", "{uri}");
                assert_eq!(default_port, 5061, "{uri}");
            }
            other => panic!("{uri}: {other:?}"),
        }
    }
}

#[test]
fn naptr_picks_lowest_order_then_preference_for_our_transport() {
    let n = |order, preference, flags: &str, services: &str, replacement: &str| Naptr {
        order,
        preference,
        flags: flags.into(),
        services: services.into(),
        replacement: replacement.into(),
    };
    let records = [
        n(10, 50, "s", "SIPS+D2T", "_sips._tcp.example.com."),
        n(20, 10, "s", "SIP+D2U", "_sip._udp.late.example.com."),
        n(20, 5, "s", "SIP+D2U", "_sip._udp.example.com."),
        n(5, 1, "u", "SIP+D2U", "not-an-srv-step."),
        n(30, 1, "S", "SIP+D2T", "_sip._tcp.example.com."),
    ];
    assert_eq!(
        naptr_srv_name(&records, Transport::Udp, false).as_deref(),
        Some("_sip._udp.example.com")
    );
    assert_eq!(
        naptr_srv_name(&records, Transport::Tcp, false).as_deref(),
        Some("_sip._tcp.example.com")
    );
    assert_eq!(
        naptr_srv_name(&records, Transport::Tls, false).as_deref(),
        Some("_sips._tcp.example.com")
    );
    assert_eq!(naptr_srv_name(&records[..2], Transport::Tcp, false), None);
}

#[test]
fn srv_priority_comes_before_weight() {
    let records = [
        srv(20, 100, 5060, "backup"),
        srv(10, 0, 5060, "b"),
        srv(10, 0, 5060, "a"),
        srv(30, 0, 5060, "last"),
    ];
    // Always drawing 0 takes the first remaining record of each priority.
    let ordered = order_srv(&records, |_| 0);
    assert_eq!(targets_of(&ordered), ["b", "a", "backup", "last"]);
}

#[test]
fn srv_weight_draw_follows_running_sums() {
    let records = [
        srv(10, 10, 1, "light"),
        srv(10, 0, 2, "zero"),
        srv(10, 90, 3, "heavy"),
    ];
    // Zero weights go first: running sums zero 0, light 10, heavy 100. A draw of 50 lands
    // in heavy's share; then a draw of 5 in light's; zero is left.
    let mut draws = vec![50, 5, 0].into_iter();
    let ordered = order_srv(&records, |_| draws.next().unwrap_or(0));
    assert_eq!(targets_of(&ordered), ["heavy", "light", "zero"]);
    // The totals offered to the draw shrink as records are taken.
    let mut totals = Vec::new();
    order_srv(&records, |t| {
        totals.push(t);
        t
    });
    assert_eq!(totals, [100, 10, 0]);
}

#[test]
fn srv_weights_share_traffic_roughly_in_proportion() {
    let records = [srv(1, 1, 1, "one"), srv(1, 3, 1, "three")];
    let mut state = 12345u32;
    let mut first_three = 0;
    for _ in 0..4000 {
        let ordered = order_srv(&records, |t| {
            // A small LCG: deterministic, evenly spread.
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (state >> 8) % (t + 1)
        });
        assert_eq!(ordered.len(), 2);
        if ordered[0].target == "three" {
            first_three += 1;
        }
    }
    // RFC 2782 draws from 0..=4 inclusive: 0 and 1 land on "one" (running sum 1), 2..=4 on
    // "three", so "three" leads in 3/5 of orderings.
    assert!((2200..=2600).contains(&first_three), "{first_three}");
}

#[test]
fn a_dot_target_means_no_service() {
    assert!(order_srv(&[srv(0, 0, 0, ".")], |_| 0).is_empty());
}

#[test]
fn targets_fail_over_in_order_and_expire() {
    let a: SocketAddr = "127.0.0.1:5071".parse().unwrap();
    let b: SocketAddr = "127.0.0.1:5072".parse().unwrap();
    let t0 = Instant::now();
    let mut t = Targets::new(vec![a, a, b], Some(t0 + Duration::from_secs(60)));
    assert_eq!(t.all(), [a, b]);
    assert_eq!(t.current(), Some(a));
    assert_eq!(t.fail_over(), Some(b));
    assert_eq!(t.fail_over(), None);
    assert_eq!(t.fail_over(), None);
    assert!(!t.expired(t0 + Duration::from_secs(59)));
    assert!(t.expired(t0 + Duration::from_secs(60)));
    assert!(!Targets::new(vec![a], None).expired(t0 + Duration::from_secs(1 << 30)));
}
