use super::*;

#[test]
fn rfc2617_md5_vector() {
    let ch = Challenge::parse(
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
    )
    .unwrap();
    assert_eq!(ch.algorithm, Algorithm::Md5);
    assert!(ch.qop_auth);
    let v = ch.respond(
        "Mufasa",
        "Circle Of Life",
        "GET",
        "/dir/index.html",
        1,
        "0a4f113b",
    );
    assert!(
        v.contains("response=\"6629fae49393a05397450978507c4ef1\""),
        "{v}"
    );
    assert!(v.contains("nc=00000001"));
    assert!(v.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
}

#[test]
fn rfc7616_sha256_and_md5_vectors() {
    let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    for (alg, want) in [
        (
            Algorithm::Sha256,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
        (Algorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
    ] {
        let h = ha1(alg, "Mufasa", "http-auth@example.org", "Circle of Life");
        let r = compute_response(alg, &h, nonce, "GET", "/dir/index.html", Some((1, cnonce)));
        assert_eq!(r, want, "{alg:?}");
    }
}

#[test]
fn kamailio_style_challenge_without_algorithm_and_without_qop() {
    let ch = Challenge::parse("Digest realm=\"127.0.0.1\", nonce=\"abc\"").unwrap();
    assert!(!ch.qop_auth);
    let v = ch.respond("alice", "pw", "REGISTER", "sip:127.0.0.1", 1, "c");
    assert!(!v.contains("qop"));
    let parsed = DigestResponse::parse(&v).unwrap();
    let expect = compute_response(
        Algorithm::Md5,
        &ha1(Algorithm::Md5, "alice", "127.0.0.1", "pw"),
        "abc",
        "REGISTER",
        "sip:127.0.0.1",
        None,
    );
    assert_eq!(parsed.response, expect);
}

#[test]
fn pick_best_prefers_sha256() {
    let c = Challenge::pick_best([
        "Digest realm=\"r\", nonce=\"1\", algorithm=MD5",
        "Digest realm=\"r\", nonce=\"2\", algorithm=SHA-256",
        "Digest realm=\"r\", nonce=\"3\", algorithm=SHA-512-256",
    ])
    .unwrap();
    assert_eq!(c.nonce, "2");
    assert!(matches!(
        Challenge::pick_best(["Basic realm=\"x\""]),
        Err(AuthError::NotDigest(_))
    ));
}

#[test]
fn malformed_headers_give_errors() {
    assert!(matches!(
        Challenge::parse("Digest realm=\"x"),
        Err(AuthError::Malformed(_))
    ));
    assert_eq!(
        Challenge::parse("Digest nonce=1"),
        Err(AuthError::Missing("realm"))
    );
    assert!(matches!(
        Challenge::parse("Digest realm=x, nonce=y, qop=auth-int"),
        Err(AuthError::UnsupportedQop(_))
    ));
    assert!(matches!(
        DigestResponse::parse(
            "Digest username=a, realm=b, nonce=c, uri=d, response=e, qop=auth, nc=zz, cnonce=x"
        ),
        Err(AuthError::Malformed(_))
    ));
}

#[test]
fn server_roundtrip_valid_wrong_stale_forged() {
    let server = DigestServer::new("koppla.test", 300);
    for alg in [Algorithm::Md5, Algorithm::Sha256] {
        let ch = Challenge::parse(&server.challenge(alg, false, 1_000)).unwrap();
        assert_eq!(ch.algorithm, alg);
        let stored = ha1(alg, "alice", "koppla.test", "secret");
        let good =
            DigestResponse::parse(&ch.respond("alice", "secret", "REGISTER", "sip:k", 1, "cn"))
                .unwrap();
        assert_eq!(
            server.verify(&good, "REGISTER", &stored, 1_010),
            Verdict::Valid
        );
        // Same credentials, method changed: the response no longer matches.
        assert!(matches!(
            server.verify(&good, "INVITE", &stored, 1_010),
            Verdict::Invalid(_)
        ));
        let bad =
            DigestResponse::parse(&ch.respond("alice", "wrong", "REGISTER", "sip:k", 1, "cn"))
                .unwrap();
        assert!(matches!(
            server.verify(&bad, "REGISTER", &stored, 1_010),
            Verdict::Invalid(_)
        ));
        assert_eq!(
            server.verify(&good, "REGISTER", &stored, 1_400),
            Verdict::Stale
        );
    }
    let forged = Challenge::parse("Digest realm=\"koppla.test\", nonce=\"3e8.00\"").unwrap();
    let stored = ha1(Algorithm::Md5, "alice", "koppla.test", "secret");
    let r = DigestResponse::parse(&forged.respond("alice", "secret", "REGISTER", "sip:k", 1, "c"))
        .unwrap();
    assert!(matches!(
        server.verify(&r, "REGISTER", &stored, 1_000),
        Verdict::Invalid(_)
    ));
    // Another server instance (different secret) does not accept our nonces.
    let other = DigestServer::new("koppla.test", 300);
    let ch = Challenge::parse(&server.challenge(Algorithm::Md5, false, 1_000)).unwrap();
    let r =
        DigestResponse::parse(&ch.respond("alice", "secret", "REGISTER", "sip:k", 1, "c")).unwrap();
    assert!(matches!(
        other.verify(&r, "REGISTER", &stored, 1_000),
        Verdict::Invalid(_)
    ));
}
