//! Sans-IO media engine: everything `MediaSession` does except sockets and timers.
//! Fed 20 ms ticks (with the captured frame), datagrams and `now`; returns datagrams to
//! send, frames to play and events.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use koppla_audio::FRAME_SAMPLES;
use rand::Rng as _;

use super::{MediaError, MediaEvent, MediaStats};
use crate::codec::{new_codec, Codec};
use crate::jitter::{JitterBuffer, JitterConfig, Playout};
use crate::rtp::dtmf::{digit_to_event, DtmfReceiver, DtmfSender};
use crate::rtp::rtcp::{self, RtcpPacket, SenderInfo};
use crate::rtp::srtp::SrtpContext;
use crate::rtp::stats::{ntp_now, ReceiveStats};
use crate::rtp::{is_rtcp, RtpHeader, RtpPacket};
use crate::sdp::Negotiated;

/// RTCP report interval (RFC 3550 minimum of 5 s).
pub const RTCP_INTERVAL: Duration = Duration::from_secs(5);

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub data: Vec<u8>,
    pub to: SocketAddr,
}

pub struct MediaEngine {
    neg: Negotiated,
    codec: Box<dyn Codec>,
    ssrc: u32,
    seq: u16,
    ts: u32,
    srtp_tx: Option<SrtpContext>,
    srtp_rx: Option<SrtpContext>,
    jb: JitterBuffer,
    dtmf_tx: DtmfSender,
    dtmf_rx: DtmfReceiver,
    recv_stats: ReceiveStats,
    remote_ssrc: Option<u32>,
    packets_sent: u32,
    octets_sent: u32,
    next_rtcp: Instant,
    muted: bool,
    marker_next: bool,
    fifo: VecDeque<i16>,
    payload_buf: Vec<u8>,
    decode_buf: Vec<i16>,
    stats: MediaStats,
    cname: String,
    /// Wall clock anchor so NTP times derive from `now` (deterministic under a fake clock).
    ntp_anchor: (Instant, u64),
    /// Where the peer's RTP and RTCP really come from, when that differs from its SDP
    /// (symmetric RTP: the peer is behind a NAT that rewrote its address).
    latched_rtp: Option<SocketAddr>,
    latched_rtcp: Option<SocketAddr>,
    /// The SSRC of the first valid stream heard since the last negotiation; only it may move
    /// the latch.
    source_ssrc: Option<u32>,
    /// When the last packet that passed our checks (RTP of the call's streams, or RTCP)
    /// arrived, and when that was last reported: the user agent ends a call whose peer went
    /// silent (issue 18, decision 0407), and needs no more than one report a second for it.
    last_heard: Option<Instant>,
    heard_reported: Option<Instant>,
}

/// How often [`MediaEvent::Heard`] is reported while packets keep arriving.
pub const HEARD_REPORT_INTERVAL: Duration = Duration::from_secs(1);

fn srtp_pair(neg: &Negotiated) -> (Option<SrtpContext>, Option<SrtpContext>) {
    match &neg.srtp {
        Some(k) => (
            Some(SrtpContext::new(k.suite, &k.local)),
            Some(SrtpContext::new(k.suite, &k.remote)),
        ),
        None => (None, None),
    }
}

impl MediaEngine {
    pub fn new(neg: Negotiated, now: Instant) -> Result<Self, MediaError> {
        let mut rng = rand::rng();
        let codec = new_codec(neg.codec)?;
        let (srtp_tx, srtp_rx) = srtp_pair(&neg);
        let ssrc: u32 = rng.random();
        Ok(Self {
            jb: JitterBuffer::new(neg.codec.rtp_clock_rate(), JitterConfig::default()),
            recv_stats: ReceiveStats::new(neg.codec.rtp_clock_rate(), now),
            dtmf_tx: DtmfSender::new(neg.telephone_event_clock),
            dtmf_rx: DtmfReceiver::default(),
            codec,
            ssrc,
            seq: rng.random(),
            ts: rng.random(),
            srtp_tx,
            srtp_rx,
            remote_ssrc: None,
            packets_sent: 0,
            octets_sent: 0,
            next_rtcp: now + RTCP_INTERVAL,
            muted: false,
            marker_next: true,
            fifo: VecDeque::new(),
            payload_buf: Vec::with_capacity(1500),
            decode_buf: Vec::with_capacity(FRAME_SAMPLES * 6),
            stats: MediaStats::default(),
            cname: format!("koppla-{ssrc:08x}"),
            ntp_anchor: (now, ntp_now()),
            latched_rtp: None,
            latched_rtcp: None,
            source_ssrc: None,
            last_heard: None,
            heard_reported: None,
            neg,
        })
    }

    pub fn negotiated(&self) -> &Negotiated {
        &self.neg
    }

    /// Where RTP goes: the address the peer's RTP comes from once it has arrived, else
    /// the one its SDP gave.
    pub fn remote_rtp(&self) -> SocketAddr {
        self.latched_rtp.unwrap_or(self.neg.remote_rtp)
    }

    pub fn remote_rtcp(&self) -> SocketAddr {
        self.latched_rtcp.unwrap_or(self.neg.remote_rtcp)
    }

    /// When the last valid RTP or RTCP packet from the peer arrived (`None`: none yet).
    pub fn last_heard(&self) -> Option<Instant> {
        self.last_heard
    }

    /// Notes a valid packet from the peer; reports it at most once per
    /// [`HEARD_REPORT_INTERVAL`], so a steady stream costs one event a second.
    fn heard(&mut self, now: Instant, events: &mut Vec<MediaEvent>) {
        self.last_heard = Some(now);
        let due = self
            .heard_reported
            .is_none_or(|at| now.saturating_duration_since(at) >= HEARD_REPORT_INTERVAL);
        if due {
            self.heard_reported = Some(now);
            events.push(MediaEvent::Heard(now));
        }
    }

    /// Applies a re-negotiation (re-INVITE, hold/resume, codec change, new keys).
    pub fn update(&mut self, neg: Negotiated, now: Instant) -> Result<(), MediaError> {
        if neg.codec != self.neg.codec || neg.payload_type != self.neg.payload_type {
            self.codec = new_codec(neg.codec)?;
            self.jb = JitterBuffer::new(neg.codec.rtp_clock_rate(), JitterConfig::default());
            self.recv_stats = ReceiveStats::new(neg.codec.rtp_clock_rate(), now);
            self.remote_ssrc = None;
            self.fifo.clear();
        }
        if neg.srtp != self.neg.srtp {
            (self.srtp_tx, self.srtp_rx) = srtp_pair(&neg);
        }
        if neg.telephone_event_clock != self.neg.telephone_event_clock {
            self.dtmf_tx = DtmfSender::new(neg.telephone_event_clock);
        }
        if neg.direction.sends() && !self.neg.direction.sends() {
            self.marker_next = true;
        }
        // New addresses in the SDP are a new path; learn it again from what arrives.
        self.source_ssrc = None;
        if neg.remote_rtp != self.neg.remote_rtp {
            self.latched_rtp = None;
        }
        if neg.remote_rtcp != self.neg.remote_rtcp {
            self.latched_rtcp = None;
        }
        self.neg = neg;
        Ok(())
    }

    fn ntp_at(&self, now: Instant) -> u64 {
        let d = now.saturating_duration_since(self.ntp_anchor.0);
        let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
        self.ntp_anchor.1.wrapping_add((d.as_secs() << 32) + frac)
    }

    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    pub fn is_muted(&self) -> bool {
        self.muted
    }

    pub fn queue_dtmf(&mut self, digit: char) -> Result<(), MediaError> {
        if self.neg.telephone_event_pt.is_none() {
            return Err(MediaError::NoTelephoneEvent);
        }
        if digit_to_event(digit).is_none() || !self.dtmf_tx.push(digit) {
            return Err(MediaError::BadDigit(digit));
        }
        Ok(())
    }

    fn push_rtp(
        &mut self,
        header: RtpHeader,
        payload: &[u8],
        out: &mut Vec<Outgoing>,
    ) -> Result<(), MediaError> {
        let mut data = RtpPacket {
            header,
            payload: payload.to_vec(),
        }
        .to_bytes();
        if let Some(tx) = self.srtp_tx.as_mut() {
            tx.protect_rtp(&mut data)?;
        }
        self.packets_sent = self.packets_sent.wrapping_add(1);
        self.octets_sent = self.octets_sent.wrapping_add(payload.len() as u32);
        self.stats.packets_sent += 1;
        out.push(Outgoing {
            data,
            to: self.remote_rtp(),
        });
        Ok(())
    }

    /// One 20 ms tick: sends audio (or a DTMF event) and, when due, an RTCP report.
    /// `frame` is the captured frame; when muted it is replaced by silence.
    pub fn on_tick(
        &mut self,
        frame: &[i16],
        now: Instant,
        out: &mut Vec<Outgoing>,
        events: &mut Vec<MediaEvent>,
    ) -> Result<(), MediaError> {
        let step = self.codec.timestamp_step();
        if self.neg.direction.sends() {
            let dtmf = match self.neg.telephone_event_pt {
                Some(pt) => self.dtmf_tx.tick(self.ts).map(|d| (pt, d)),
                None => None,
            };
            if let Some((pt, d)) = dtmf {
                let h = RtpHeader {
                    marker: d.marker,
                    payload_type: pt,
                    sequence: self.seq,
                    timestamp: d.timestamp,
                    ssrc: self.ssrc,
                };
                self.push_rtp(h, &d.payload.to_bytes(), out)?;
            } else {
                self.payload_buf.clear();
                let mut payload = std::mem::take(&mut self.payload_buf);
                let res = if self.muted {
                    self.codec.encode(&[0; FRAME_SAMPLES], &mut payload)
                } else {
                    self.codec.encode(frame, &mut payload)
                };
                let res = res.map_err(MediaError::from).and_then(|_| {
                    let h = RtpHeader {
                        marker: self.marker_next,
                        payload_type: self.neg.payload_type,
                        sequence: self.seq,
                        timestamp: self.ts,
                        ssrc: self.ssrc,
                    };
                    self.push_rtp(h, &payload, out)
                });
                self.payload_buf = payload;
                res?;
                self.marker_next = false;
            }
            self.seq = self.seq.wrapping_add(1);
        }
        self.ts = self.ts.wrapping_add(step);
        if now >= self.next_rtcp {
            self.next_rtcp = now + RTCP_INTERVAL;
            out.push(self.rtcp_report(now, false)?);
            events.push(MediaEvent::Stats(self.stats()));
        }
        Ok(())
    }

    fn rtcp_report(&mut self, now: Instant, bye: bool) -> Result<Outgoing, MediaError> {
        let sender = (self.packets_sent > 0).then(|| SenderInfo {
            ntp: self.ntp_at(now),
            rtp_timestamp: self.ts,
            packet_count: self.packets_sent,
            octet_count: self.octets_sent,
        });
        let block = self
            .remote_ssrc
            .and_then(|s| self.recv_stats.report_block(s, now));
        let mut data = if bye {
            rtcp::build_bye(self.ssrc)
        } else {
            rtcp::build_report(self.ssrc, sender, block, &self.cname)
        };
        if let Some(tx) = self.srtp_tx.as_mut() {
            tx.protect_rtcp(&mut data)?;
        }
        Ok(Outgoing {
            data,
            to: self.remote_rtcp(),
        })
    }

    /// RTCP BYE for a clean stop.
    pub fn bye(&mut self, now: Instant) -> Option<Outgoing> {
        self.rtcp_report(now, true).ok()
    }

    /// A datagram from `from`. Only packets that parse (and pass SRTP authentication) count,
    /// so neither junk nor a forged SRTP packet can redirect the stream.
    pub fn on_datagram(
        &mut self,
        data: &[u8],
        from: SocketAddr,
        now: Instant,
        events: &mut Vec<MediaEvent>,
    ) {
        if is_rtcp(data) {
            self.on_rtcp(data, from, now, events);
            return;
        }
        let plain;
        let bytes = match self.srtp_rx.as_mut() {
            Some(rx) => match rx.unprotect_rtp(data) {
                Ok(p) => {
                    plain = p;
                    &plain[..]
                }
                Err(e) => {
                    self.stats.srtp_failures += 1;
                    tracing::debug!(error = %e, "SRTP packet rejected");
                    return;
                }
            },
            None => data,
        };
        let Ok(pkt) = RtpPacket::parse(bytes) else {
            return;
        };
        let ours = pkt.header.payload_type == self.neg.payload_type
            || Some(pkt.header.payload_type) == self.neg.telephone_event_pt;
        // Follow only the first valid stream heard: a stray sender with another SSRC must
        // not take the call's audio away.
        if ours && self.source_ssrc.is_none() {
            self.source_ssrc = Some(pkt.header.ssrc);
        }
        let known = self.source_ssrc == Some(pkt.header.ssrc);
        if ours {
            // Also while we do not play what arrives (hold): the path is alive either way.
            self.heard(now, events);
        }
        if ours && known && from != self.remote_rtp() {
            tracing::info!(sdp = %self.neg.remote_rtp, %from, "RTP latched to its real source");
            self.latched_rtp = Some(from);
        }
        if !self.neg.direction.receives() {
            return;
        }
        if self.remote_ssrc != Some(pkt.header.ssrc) {
            self.remote_ssrc = Some(pkt.header.ssrc);
            self.recv_stats = ReceiveStats::new(self.neg.codec.rtp_clock_rate(), now);
        }
        self.recv_stats
            .on_packet(pkt.header.sequence, pkt.header.timestamp, now);
        self.stats.packets_received += 1;
        if pkt.header.payload_type == self.neg.payload_type {
            self.jb.push(pkt.header.timestamp, pkt.payload, now);
        } else if Some(pkt.header.payload_type) == self.neg.telephone_event_pt {
            if let Ok(Some(d)) = self.dtmf_rx.on_packet(pkt.header.timestamp, &pkt.payload) {
                events.push(MediaEvent::Dtmf(d));
            }
        }
    }

    fn on_rtcp(
        &mut self,
        data: &[u8],
        from: SocketAddr,
        now: Instant,
        events: &mut Vec<MediaEvent>,
    ) {
        let plain;
        let bytes = match self.srtp_rx.as_mut() {
            Some(rx) => match rx.unprotect_rtcp(data) {
                Ok(p) => {
                    plain = p;
                    &plain[..]
                }
                Err(_) => {
                    self.stats.srtp_failures += 1;
                    return;
                }
            },
            None => data,
        };
        let Ok(pkts) = rtcp::parse_compound(bytes) else {
            return;
        };
        // RTCP alone proves the path lives (RFC 3550 6: it keeps flowing when RTP pauses).
        self.heard(now, events);
        // RTCP follows only reports from the stream RTP already latched on.
        let from_source = pkts.iter().any(|p| match p {
            RtcpPacket::SenderReport { ssrc, .. } | RtcpPacket::ReceiverReport { ssrc, .. } => {
                Some(*ssrc) == self.source_ssrc
            }
            _ => false,
        });
        if from_source && from != self.remote_rtcp() {
            self.latched_rtcp = Some(from);
        }
        for p in pkts {
            let blocks = match p {
                RtcpPacket::SenderReport { ntp, reports, .. } => {
                    self.recv_stats.on_sender_report(ntp, now);
                    reports
                }
                RtcpPacket::ReceiverReport { reports, .. } => reports,
                RtcpPacket::Bye { .. } => {
                    events.push(MediaEvent::RemoteBye);
                    continue;
                }
                _ => continue,
            };
            for b in blocks.iter().filter(|b| b.ssrc == self.ssrc) {
                self.stats.remote_fraction_lost = f64::from(b.fraction_lost) / 256.0;
                if b.last_sr != 0 {
                    let a = (self.ntp_at(now) >> 16) as u32;
                    let rtt = a
                        .wrapping_sub(b.last_sr)
                        .wrapping_sub(b.delay_since_last_sr);
                    // Ignore nonsense from clock steps (over 10 s).
                    if rtt < 10 * 65536 {
                        self.stats.rtt_ms = Some(f64::from(rtt) * 1000.0 / 65536.0);
                    }
                }
            }
        }
    }

    /// Fills `out` (one 20 ms frame) with what to play now.
    pub fn playout(&mut self, now: Instant, out: &mut [i16]) {
        if !self.neg.direction.receives() {
            out.fill(0);
            return;
        }
        if self.fifo.len() < out.len() {
            self.decode_buf.clear();
            let mut buf = std::mem::take(&mut self.decode_buf);
            match self.jb.pop_frame(now) {
                Playout::Frame { payload, .. } => {
                    if self.codec.decode(&payload, &mut buf).is_err() {
                        self.stats.decode_errors += 1;
                        buf.clear();
                        let _ = self.codec.conceal(&mut buf);
                    }
                    let extra = buf.len().saturating_sub(FRAME_SAMPLES) / FRAME_SAMPLES;
                    if extra > 0 {
                        self.jb.skip_frames(extra as u32);
                    }
                }
                Playout::Lost { next } => {
                    let r = match next {
                        Some(n) => self.codec.recover_from_next(&n, &mut buf),
                        None => self.codec.conceal(&mut buf),
                    };
                    if r.is_err() {
                        buf.clear();
                        let _ = self.codec.conceal(&mut buf);
                    }
                }
                Playout::Silence => buf.resize(FRAME_SAMPLES, 0),
            }
            self.fifo.extend(buf.iter());
            self.decode_buf = buf;
        }
        for s in out.iter_mut() {
            *s = self.fifo.pop_front().unwrap_or(0);
        }
        // Never let decoded audio pile up (e.g. after odd packet sizes).
        let cap = FRAME_SAMPLES * 8;
        if self.fifo.len() > cap {
            let excess = self.fifo.len() - cap;
            self.fifo.drain(..excess);
        }
    }

    pub fn stats(&self) -> MediaStats {
        let jb = self.jb.stats();
        MediaStats {
            codec: Some(self.neg.codec),
            srtp: self.srtp_tx.is_some(),
            packets_lost: self.recv_stats.cumulative_lost(),
            jitter_ms: self.recv_stats.jitter_ms(),
            jitter_buffer_ms: jb.target_ms,
            concealed_frames: jb.concealed,
            ..self.stats.clone()
        }
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
