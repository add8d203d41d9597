//! SRTP/SRTCP with AES_CM_128 + HMAC-SHA1 (RFC 3711, suites of RFC 4568), no MKI,
//! key derivation rate 0. Built on RustCrypto primitives; see docs/decisions/0404.

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use super::packet::header_len;
use super::RtpError;
use crate::sdp::{CryptoSuite, SrtpKeyMaterial};

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;
type HmacSha1 = Hmac<Sha1>;

const SRTCP_TAG: usize = 10;
const REPLAY_WINDOW: u64 = 64;

/// AES-CM PRF of RFC 3711 4.3.3 with kdr = 0 (so r = 0).
fn derive(master: &SrtpKeyMaterial, label: u8, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(master.master_salt());
    // key_id = label || r(48 bits, zero); XOR into the salt at byte 7 (label position).
    iv[7] ^= label;
    out.fill(0);
    let mut c = Aes128Ctr::new(master.master_key().into(), (&iv).into());
    c.apply_keystream(out);
}

#[derive(Clone)]
struct SessionKeys {
    enc: [u8; 16],
    salt: [u8; 14],
    auth: [u8; 20],
}

impl SessionKeys {
    fn derive(master: &SrtpKeyMaterial, rtcp: bool) -> Self {
        let base = if rtcp { 3 } else { 0 };
        let mut k = Self {
            enc: [0; 16],
            salt: [0; 14],
            auth: [0; 20],
        };
        derive(master, base, &mut k.enc);
        derive(master, base + 1, &mut k.auth);
        derive(master, base + 2, &mut k.salt);
        k
    }

    fn keystream_xor(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let mut iv = [0u8; 16];
        iv[..14].copy_from_slice(&self.salt);
        for (i, b) in ssrc.to_be_bytes().iter().enumerate() {
            iv[4 + i] ^= b;
        }
        // index is 48 bits, placed at bytes 8..14.
        for (i, b) in index.to_be_bytes()[2..].iter().enumerate() {
            iv[8 + i] ^= b;
        }
        let mut c = Aes128Ctr::new((&self.enc).into(), (&iv).into());
        c.apply_keystream(data);
    }

    fn tag(&self, parts: &[&[u8]], len: usize) -> Vec<u8> {
        let mut mac =
            <HmacSha1 as Mac>::new_from_slice(&self.auth).expect("HMAC accepts any key length");
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes()[..len].to_vec()
    }
}

#[derive(Default, Clone)]
struct ReplayState {
    highest: Option<u64>,
    window: u64,
}

impl ReplayState {
    fn check(&self, index: u64) -> Result<(), RtpError> {
        let Some(h) = self.highest else { return Ok(()) };
        if index > h {
            return Ok(());
        }
        let age = h - index;
        if age >= REPLAY_WINDOW || self.window & (1 << age) != 0 {
            return Err(RtpError::Replay(index));
        }
        Ok(())
    }

    fn accept(&mut self, index: u64) {
        match self.highest {
            None => {
                self.highest = Some(index);
                self.window = 1;
            }
            Some(h) if index > h => {
                let shift = index - h;
                self.window = if shift >= REPLAY_WINDOW {
                    0
                } else {
                    self.window << shift
                };
                self.window |= 1;
                self.highest = Some(index);
            }
            Some(h) => self.window |= 1 << (h - index),
        }
    }
}

/// One direction of SRTP + SRTCP for one master key. Use one context for sending
/// (our key) and another for receiving (the peer's key).
pub struct SrtpContext {
    tag_len: usize,
    rtp: SessionKeys,
    rtcp: SessionKeys,
    // Sender state.
    send_roc: u32,
    last_send_seq: Option<u16>,
    srtcp_index: u32,
    // Receiver state.
    recv_roc: u32,
    recv_highest_seq: Option<u16>,
    replay: ReplayState,
    rtcp_replay: ReplayState,
}

impl SrtpContext {
    pub fn new(suite: CryptoSuite, master: &SrtpKeyMaterial) -> Self {
        Self {
            tag_len: suite.rtp_tag_len(),
            rtp: SessionKeys::derive(master, false),
            rtcp: SessionKeys::derive(master, true),
            send_roc: 0,
            last_send_seq: None,
            srtcp_index: 0,
            recv_roc: 0,
            recv_highest_seq: None,
            replay: ReplayState::default(),
            rtcp_replay: ReplayState::default(),
        }
    }

    /// Encrypts and authenticates an RTP packet in place (appends the tag).
    pub fn protect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), RtpError> {
        let hl = header_len(packet)?;
        let seq = u16::from_be_bytes([packet[2], packet[3]]);
        let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
        if let Some(last) = self.last_send_seq {
            if seq < last && last - seq > 0x8000 {
                self.send_roc = self.send_roc.wrapping_add(1);
            }
        }
        self.last_send_seq = Some(seq);
        let index = (u64::from(self.send_roc) << 16) | u64::from(seq);
        self.rtp.keystream_xor(ssrc, index, &mut packet[hl..]);
        let tag = self
            .rtp
            .tag(&[packet, &self.send_roc.to_be_bytes()], self.tag_len);
        packet.extend_from_slice(&tag);
        Ok(())
    }

    /// Verifies and decrypts an SRTP packet, returning the plain RTP packet.
    pub fn unprotect_rtp(&mut self, packet: &[u8]) -> Result<Vec<u8>, RtpError> {
        if packet.len() < 12 + self.tag_len {
            return Err(RtpError::TooShort(packet.len()));
        }
        let (body, tag) = packet.split_at(packet.len() - self.tag_len);
        let hl = header_len(body)?;
        let seq = u16::from_be_bytes([body[2], body[3]]);
        let ssrc = u32::from_be_bytes([body[8], body[9], body[10], body[11]]);
        let roc = self.estimate_roc(seq);
        let index = (u64::from(roc) << 16) | u64::from(seq);
        self.replay.check(index)?;
        let want = self.rtp.tag(&[body, &roc.to_be_bytes()], self.tag_len);
        if !bool::from(want.ct_eq(tag)) {
            return Err(RtpError::AuthFailed);
        }
        let mut out = body.to_vec();
        self.rtp.keystream_xor(ssrc, index, &mut out[hl..]);
        self.replay.accept(index);
        match self.recv_highest_seq {
            Some(h) if roc == self.recv_roc && seq <= h => {}
            _ if roc < self.recv_roc => {}
            _ => {
                self.recv_roc = roc;
                self.recv_highest_seq = Some(seq);
            }
        }
        Ok(out)
    }

    /// RFC 3711 Appendix A.
    fn estimate_roc(&self, seq: u16) -> u32 {
        let Some(s_l) = self.recv_highest_seq else {
            return self.recv_roc;
        };
        let roc = self.recv_roc;
        if s_l < 0x8000 {
            if seq > s_l && seq - s_l > 0x8000 {
                return roc.wrapping_sub(1);
            }
        } else if s_l - 0x8000 > seq {
            return roc.wrapping_add(1);
        }
        roc
    }

    /// Encrypts an RTCP compound packet in place, appending E|index and the tag.
    pub fn protect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), RtpError> {
        if packet.len() < 8 {
            return Err(RtpError::TooShort(packet.len()));
        }
        let ssrc = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        let index = self.srtcp_index & 0x7fff_ffff;
        self.srtcp_index = (index + 1) & 0x7fff_ffff;
        self.rtcp
            .keystream_xor(ssrc, u64::from(index), &mut packet[8..]);
        packet.extend_from_slice(&(0x8000_0000 | index).to_be_bytes());
        let tag = self.rtcp.tag(&[packet], SRTCP_TAG);
        packet.extend_from_slice(&tag);
        Ok(())
    }

    pub fn unprotect_rtcp(&mut self, packet: &[u8]) -> Result<Vec<u8>, RtpError> {
        if packet.len() < 8 + 4 + SRTCP_TAG {
            return Err(RtpError::TooShort(packet.len()));
        }
        let (authed, tag) = packet.split_at(packet.len() - SRTCP_TAG);
        let want = self.rtcp.tag(&[authed], SRTCP_TAG);
        if !bool::from(want.ct_eq(tag)) {
            return Err(RtpError::AuthFailed);
        }
        let (body, e_index) = authed.split_at(authed.len() - 4);
        let ei = u32::from_be_bytes([e_index[0], e_index[1], e_index[2], e_index[3]]);
        let index = u64::from(ei & 0x7fff_ffff);
        self.rtcp_replay.check(index)?;
        let mut out = body.to_vec();
        if ei & 0x8000_0000 != 0 {
            let ssrc = u32::from_be_bytes([body[4], body[5], body[6], body[7]]);
            self.rtcp.keystream_xor(ssrc, index, &mut out[8..]);
        }
        self.rtcp_replay.accept(index);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::{RtpHeader, RtpPacket};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn master(key: &str, salt: &str) -> SrtpKeyMaterial {
        let mut m = [0u8; 30];
        m[..16].copy_from_slice(&hex(key));
        m[16..].copy_from_slice(&hex(salt));
        SrtpKeyMaterial(m)
    }

    #[test]
    fn rfc3711_b3_key_derivation() {
        let m = master(
            "E1F97A0D3E018BE0D64FA32C06DE4139",
            "0EC675AD498AFEEBB6960B3AABE6",
        );
        let k = SessionKeys::derive(&m, false);
        assert_eq!(k.enc.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
        assert_eq!(k.salt.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
        assert_eq!(
            k.auth.to_vec(),
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
    }

    #[test]
    fn rfc3711_b2_aes_cm_keystream() {
        let k = SessionKeys {
            enc: hex("2B7E151628AED2A6ABF7158809CF4F3C").try_into().unwrap(),
            salt: hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").try_into().unwrap(),
            auth: [0; 20],
        };
        let mut ks = [0u8; 48];
        k.keystream_xor(0, 0, &mut ks);
        assert_eq!(ks.to_vec(), hex("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0"));
    }

    fn pkt(seq: u16) -> Vec<u8> {
        RtpPacket {
            header: RtpHeader {
                marker: false,
                payload_type: 8,
                sequence: seq,
                timestamp: u32::from(seq) * 160,
                ssrc: 0x1234,
            },
            payload: vec![0xd5; 160],
        }
        .to_bytes()
    }

    #[test]
    fn rtp_roundtrip_tamper_replay_and_roc_wrap() {
        for suite in [
            CryptoSuite::AesCm128HmacSha1_80,
            CryptoSuite::AesCm128HmacSha1_32,
        ] {
            let key = SrtpKeyMaterial::random();
            let (mut tx, mut rx) = (SrtpContext::new(suite, &key), SrtpContext::new(suite, &key));
            for seq in (65500..=65535).chain(0..40) {
                let plain = pkt(seq);
                let mut p = plain.clone();
                tx.protect_rtp(&mut p).unwrap();
                assert_eq!(p.len(), plain.len() + suite.rtp_tag_len());
                assert_ne!(&p[12..172], &plain[12..172]);
                if seq == 5 {
                    let mut bad = p.clone();
                    bad[20] ^= 1;
                    assert_eq!(rx.unprotect_rtp(&bad), Err(RtpError::AuthFailed));
                }
                assert_eq!(rx.unprotect_rtp(&p).unwrap(), plain, "seq {seq}");
                if seq == 5 {
                    assert_eq!(rx.unprotect_rtp(&p), Err(RtpError::Replay(0x1_0005)));
                }
            }
            assert_eq!(rx.recv_roc, 1);
        }
    }

    #[test]
    fn reordered_packets_inside_window_pass() {
        let key = SrtpKeyMaterial::random();
        let (mut tx, mut rx) = (
            SrtpContext::new(CryptoSuite::AesCm128HmacSha1_80, &key),
            SrtpContext::new(CryptoSuite::AesCm128HmacSha1_80, &key),
        );
        let protected: Vec<Vec<u8>> = (100..110)
            .map(|s| {
                let mut p = pkt(s);
                tx.protect_rtp(&mut p).unwrap();
                p
            })
            .collect();
        for i in [0, 2, 1, 5, 3, 4, 9, 6, 8, 7] {
            assert!(rx.unprotect_rtp(&protected[i]).is_ok(), "{i}");
        }
        let other = SrtpKeyMaterial::random();
        let mut wrong = SrtpContext::new(CryptoSuite::AesCm128HmacSha1_80, &other);
        assert_eq!(
            wrong.unprotect_rtp(&protected[0]),
            Err(RtpError::AuthFailed)
        );
    }

    #[test]
    fn rtcp_roundtrip() {
        let key = SrtpKeyMaterial::random();
        let (mut tx, mut rx) = (
            SrtpContext::new(CryptoSuite::AesCm128HmacSha1_32, &key),
            SrtpContext::new(CryptoSuite::AesCm128HmacSha1_32, &key),
        );
        let plain = vec![0x80, 201, 0, 1, 0, 0, 0x12, 0x34, 1, 2, 3, 4];
        let mut p = plain.clone();
        tx.protect_rtcp(&mut p).unwrap();
        assert_eq!(p.len(), plain.len() + 4 + 10);
        assert_eq!(rx.unprotect_rtcp(&p).unwrap(), plain);
        assert_eq!(rx.unprotect_rtcp(&p), Err(RtpError::Replay(0)));
        let mut p2 = plain.clone();
        tx.protect_rtcp(&mut p2).unwrap();
        p2[9] ^= 0xff;
        assert_eq!(rx.unprotect_rtcp(&p2), Err(RtpError::AuthFailed));
    }
}
