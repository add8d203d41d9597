use super::*;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn prefs(list: &str) -> CodecPrefs {
    CodecPrefs::from_list(list).unwrap()
}

#[test]
fn offer_lists_prefs_dtmf_and_fec() {
    let o = MediaOffer::new(
        addr("127.0.0.1:4000"),
        &CodecPrefs::default(),
        SrtpPolicy::Off,
    )
    .to_sdp();
    let sd = SessionDescription::parse(&o).unwrap();
    let m = &sd.media[0];
    assert_eq!(m.formats, vec!["111", "9", "8", "0", "101", "110"]);
    assert_eq!(m.protocol, "RTP/AVP");
    assert_eq!(m.fmtp(111), Some("minptime=10;useinbandfec=1"));
    assert!(m
        .rtpmaps()
        .iter()
        .any(|r| r.encoding == "G722" && r.clock_rate == 8000));
    assert!(m.attr("crypto").is_none());
    assert!(m.attr("sendrecv").is_some());
}

#[test]
fn offer_answer_between_two_koppla_ends() {
    let offer = MediaOffer::new(
        addr("127.0.0.1:4000"),
        &prefs("pcma,opus"),
        SrtpPolicy::Optional,
    );
    let (ans, theirs) = answer(
        &offer.to_sdp(),
        &prefs("opus,pcmu,pcma"),
        addr("127.0.0.1:5000"),
        SrtpPolicy::Optional,
    )
    .unwrap();
    // Answerer's preference wins among offered codecs.
    assert_eq!((theirs.codec, theirs.payload_type), (CodecKind::Opus, 111));
    assert_eq!(theirs.remote_rtp, addr("127.0.0.1:4000"));
    assert_eq!(
        theirs.remote_rtcp,
        addr("127.0.0.1:4000"),
        "rtcp-mux offered"
    );
    assert_eq!(
        (theirs.telephone_event_pt, theirs.telephone_event_clock),
        (Some(110), 48000)
    );
    assert!(theirs.opus_fec);
    let mine = offer.accept_answer(&ans).unwrap();
    assert_eq!((mine.codec, mine.payload_type), (CodecKind::Opus, 111));
    assert_eq!(mine.remote_rtp, addr("127.0.0.1:5000"));
    assert_eq!(mine.telephone_event_pt, Some(110));
    let (a, b) = (mine.srtp.unwrap(), theirs.srtp.unwrap());
    assert_eq!(a.suite, CryptoSuite::AesCm128HmacSha1_80);
    assert_eq!(a.local, b.remote, "what I encrypt with, they decrypt with");
    assert_eq!(a.remote, b.local);
    assert_ne!(a.local, a.remote);
}

#[test]
fn g722_and_static_types_without_rtpmap() {
    let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 7078 RTP/AVP 9 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
    let (ans, n) = answer(
        offer,
        &prefs("g722,pcmu"),
        addr("10.0.0.2:9000"),
        SrtpPolicy::Off,
    )
    .unwrap();
    assert_eq!((n.codec, n.payload_type), (CodecKind::G722, 9));
    assert_eq!(
        n.remote_rtcp,
        addr("10.0.0.1:7079"),
        "no mux, no a=rtcp: port + 1"
    );
    assert_eq!(n.telephone_event_pt, Some(101));
    assert!(ans.contains("m=audio 9000 RTP/AVP 9 101\r\n"));
    assert!(ans.contains("a=rtpmap:9 G722/8000\r\n"));
    let (_, n) = answer(
        offer,
        &prefs("pcma,pcmu"),
        addr("10.0.0.2:9000"),
        SrtpPolicy::Off,
    )
    .unwrap();
    assert_eq!(n.codec, CodecKind::Pcmu);
}

#[test]
fn no_common_codec_and_no_audio() {
    let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 7078 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    assert!(matches!(
        answer(
            offer,
            &CodecPrefs::default(),
            addr("10.0.0.2:9000"),
            SrtpPolicy::Off
        ),
        Err(SdpError::NoCommonCodec { .. })
    ));
    let video = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=video 7078 RTP/AVP 96\r\n";
    assert_eq!(
        answer(
            video,
            &CodecPrefs::default(),
            addr("10.0.0.2:9000"),
            SrtpPolicy::Off
        )
        .unwrap_err(),
        SdpError::NoAudio
    );
    let no_c = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 7078 RTP/AVP 0\r\n";
    assert_eq!(
        answer(
            no_c,
            &CodecPrefs::default(),
            addr("10.0.0.2:9000"),
            SrtpPolicy::Off
        )
        .unwrap_err(),
        SdpError::NoConnection
    );
}

#[test]
fn extra_media_lines_are_rejected_with_port_zero() {
    let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=video 6000 RTP/AVP 96\r\nm=audio 7078 RTP/AVP 8\r\n";
    let (ans, _) = answer(
        offer,
        &CodecPrefs::default(),
        addr("10.0.0.2:9000"),
        SrtpPolicy::Off,
    )
    .unwrap();
    let sd = SessionDescription::parse(&ans).unwrap();
    assert_eq!(sd.media.len(), 2);
    assert_eq!((sd.media[0].media.as_str(), sd.media[0].port), ("video", 0));
    assert_eq!(sd.media[1].port, 9000);
}

#[test]
fn hold_directions() {
    let base = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 7078 RTP/AVP 8\r\n";
    for (attr, ours) in [
        ("sendonly", Direction::RecvOnly),
        ("recvonly", Direction::SendOnly),
        ("inactive", Direction::Inactive),
        ("sendrecv", Direction::SendRecv),
    ] {
        let offer = format!("{base}a={attr}\r\n");
        let (ans, n) = answer(
            &offer,
            &CodecPrefs::default(),
            addr("10.0.0.2:9000"),
            SrtpPolicy::Off,
        )
        .unwrap();
        assert_eq!(n.direction, ours, "{attr}");
        assert!(ans.contains(&format!("a={}\r\n", ours.attr_name())));
    }
    // We hold: offer sendonly, peer answers recvonly.
    let o = MediaOffer::new(
        addr("127.0.0.1:4000"),
        &CodecPrefs::default(),
        SrtpPolicy::Off,
    );
    let hold = o.reoffer(Direction::SendOnly);
    let text = hold.to_sdp();
    assert!(text.contains("a=sendonly\r\n"));
    assert!(text.contains(" 2 IN IP4"), "version bumped: {text}");
    let (ans, peer) = answer(
        &text,
        &CodecPrefs::default(),
        addr("127.0.0.1:5000"),
        SrtpPolicy::Off,
    )
    .unwrap();
    assert_eq!(peer.direction, Direction::RecvOnly);
    assert_eq!(
        hold.accept_answer(&ans).unwrap().direction,
        Direction::SendOnly
    );
    // Old-style hold.
    let old = base.replace("c=IN IP4 10.0.0.1", "c=IN IP4 0.0.0.0");
    assert_eq!(
        answer(
            &old,
            &CodecPrefs::default(),
            addr("10.0.0.2:9000"),
            SrtpPolicy::Off
        )
        .unwrap()
        .1
        .direction,
        Direction::RecvOnly
    );
}

#[test]
fn srtp_policies() {
    let plain = MediaOffer::new(
        addr("127.0.0.1:4000"),
        &CodecPrefs::default(),
        SrtpPolicy::Off,
    )
    .to_sdp();
    let savp = MediaOffer::new(
        addr("127.0.0.1:4000"),
        &CodecPrefs::default(),
        SrtpPolicy::Required,
    )
    .to_sdp();
    let opt = MediaOffer::new(
        addr("127.0.0.1:4000"),
        &CodecPrefs::default(),
        SrtpPolicy::Optional,
    )
    .to_sdp();
    let local = addr("127.0.0.1:5000");
    assert!(savp.contains("RTP/SAVP"));
    assert_eq!(
        answer(&savp, &CodecPrefs::default(), local, SrtpPolicy::Off).unwrap_err(),
        SdpError::SrtpRefused
    );
    assert_eq!(
        answer(&plain, &CodecPrefs::default(), local, SrtpPolicy::Required).unwrap_err(),
        SdpError::SrtpRequired
    );
    // Optional offer (RTP/AVP + crypto): an answerer that turned SRTP off answers plain.
    let (ans, n) = answer(&opt, &CodecPrefs::default(), local, SrtpPolicy::Off).unwrap();
    assert!(n.srtp.is_none() && !ans.contains("crypto"));
    let (ans, n) = answer(&opt, &CodecPrefs::default(), local, SrtpPolicy::Optional).unwrap();
    assert!(n.srtp.is_some());
    assert!(ans.contains("RTP/AVP") && ans.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
    // Required offerer getting a plain answer fails.
    let req = MediaOffer::new(
        addr("127.0.0.1:4000"),
        &CodecPrefs::default(),
        SrtpPolicy::Required,
    );
    let (plain_ans, _) = answer(&plain, &CodecPrefs::default(), local, SrtpPolicy::Off).unwrap();
    assert_eq!(
        req.accept_answer(&plain_ans).unwrap_err(),
        SdpError::SrtpRequired
    );
    assert_eq!(
        "REQUIRED".parse::<SrtpPolicy>().unwrap(),
        SrtpPolicy::Required
    );
    assert!("maybe".parse::<SrtpPolicy>().is_err());
}

#[test]
fn answer_rejecting_audio_is_an_error() {
    let o = MediaOffer::new(
        addr("127.0.0.1:4000"),
        &CodecPrefs::default(),
        SrtpPolicy::Off,
    );
    let ans = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n";
    assert_eq!(o.accept_answer(ans).unwrap_err(), SdpError::NoAudio);
    let ans = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5 RTP/AVP 18\r\n";
    assert!(matches!(
        o.accept_answer(ans),
        Err(SdpError::NoCommonCodec { .. })
    ));
}

#[test]
fn prefs_from_list() {
    assert_eq!(
        prefs("pcma, opus,pcma").codecs,
        vec![CodecKind::Pcma, CodecKind::Opus]
    );
    assert!(CodecPrefs::from_list("").is_err());
    assert!(CodecPrefs::from_list("opus,gsm").is_err());
}
