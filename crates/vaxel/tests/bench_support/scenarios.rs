//! The sipp side of the call benchmark: three XML scenarios and the audio the caller streams.
//!
//! The callee registers (401 + digest) from the port its UAS later listens on, so both switches
//! route by their location table like for a real phone. The caller is challenged (407) and
//! retries with credentials, as a company switch does; the `setup` response time runs from the
//! first INVITE to the 200, so it includes that round trip on both servers alike.

/// REGISTER with digest auth; `-s` names the user, `-au`/`-ap` give the credentials.
pub const REGISTER: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register-callee">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[remote_ip]:[remote_port]>;tag=r[pid]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[service]@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 3600
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[remote_ip]:[remote_port]>;tag=r[pid]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[service]@[local_ip]:[local_port]>
[authentication]
Max-Forwards: 70
Expires: 3600
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"#;

/// Answers every INVITE at once with G.711 A-law SDP pointing at sipp's `-rtp_echo` port, so
/// whatever the relay delivers is sent back through it.
pub const CALLEE: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callee">
  <recv request="INVITE" crlf="true"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]b[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=callee 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"#;

/// File name the caller scenario streams (written next to it by [`alaw_tone_wav`]).
pub const TONE_FILE: &str = "tone-alaw.wav";

/// INVITE (407, ACK, INVITE with credentials), ACK, stream A-law RTP for `-d` ms, BYE.
/// The ACK to the 407 reuses the first INVITE's branch (`[branch-3]`: three messages back).
/// Setup time is logged (`-trace_logs`) from wall-clock stamps taken just before the first
/// INVITE and on the 200, in microseconds: sipp's own response times (`-trace_rtt`) come from
/// its millisecond scheduler clock, too coarse for loopback setups of a few ms.
pub const CALLER: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller">
  <nop><action><gettimeofday assign_to="t0s,t0us"/></action></nop>
  <send retrans="500" start_rtd="setup"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[remote_ip]:[remote_port]>;tag=[pid]a[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:alice@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
From: <sip:alice@[remote_ip]:[remote_port]>;tag=[pid]a[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[remote_ip]:[remote_port]>;tag=[pid]a[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 2 INVITE
Contact: <sip:alice@[local_ip]:[local_port]>
[authentication]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true" rtd="setup">
    <action>
      <gettimeofday assign_to="t1s,t1us"/>
      <log message="setup [$t0s] [$t0us] [$t1s] [$t1us]"/>
    </action>
  </recv>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[remote_ip]:[remote_port]>;tag=[pid]a[call_number]
[last_To:]
Call-ID: [call_id]
[routes]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec rtp_stream="tone-alaw.wav,-1,8"/></action></nop>
  <pause/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[remote_ip]:[remote_port]>;tag=[pid]a[call_number]
[last_To:]
Call-ID: [call_id]
[routes]
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"#;

/// Packets per second of one RTP stream at sipp's fixed 20 ms A-law packetisation.
pub const RTP_PACKETS_PER_SECOND: f64 = 50.0;

/// One second of a 440 Hz tone as an A-law WAV. sipp's `rtp_stream` skips the RIFF header and
/// sends the bytes as they are, so the file must already be A-law.
pub fn alaw_tone_wav() -> Vec<u8> {
    const RATE: u32 = 8000;
    let data: Vec<u8> = (0..RATE)
        .map(|i| {
            let phase = f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / f64::from(RATE);
            // Half scale; the cast cannot overflow i16.
            koppla_media::codec::g711::alaw_encode((phase.sin() * 16000.0) as i16)
        })
        .collect();
    let mut out = Vec::with_capacity(44 + data.len());
    let data_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&6u16.to_le_bytes()); // WAVE_FORMAT_ALAW
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&RATE.to_le_bytes()); // bytes per second
    out.extend_from_slice(&1u16.to_le_bytes()); // block align
    out.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(&data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_balanced_and_measure_setup() {
        for xml in [REGISTER, CALLEE, CALLER] {
            assert!(xml.contains("<scenario") && xml.trim_end().ends_with("</scenario>"));
            assert_eq!(xml.matches("<![CDATA[").count(), xml.matches("]]>").count());
        }
        assert!(CALLER.contains(TONE_FILE));
        assert!(CALLER.contains(r#"<log message="setup [$t0s] [$t0us] [$t1s] [$t1us]"/>"#));
        // Every element has a message index: nop 0, INVITE 1, 100 2, 407 3, ACK 4 (its own
        // <send> is in the prefix), so [branch-3] is the first INVITE's branch.
        let up_to_ack = CALLER.split("ACK sip:").next().map(|s| {
            s.matches("<send").count() + s.matches("<recv").count() + s.matches("<nop").count()
        });
        assert_eq!(up_to_ack, Some(5));
        assert!(CALLER.contains("branch=[branch-3]"));
    }

    #[test]
    fn tone_is_an_alaw_wav_of_one_second() {
        let wav = alaw_tone_wav();
        assert_eq!(wav.len(), 44 + 8000);
        assert_eq!(wav.get(0..4), Some(&b"RIFF"[..]));
        assert_eq!(wav.get(20..22), Some(&[6u8, 0][..]));
        assert_eq!(wav.get(36..40), Some(&b"data"[..]));
        // A tone, not silence: many distinct code words.
        let distinct: std::collections::HashSet<u8> = wav[44..].iter().copied().collect();
        assert!(distinct.len() > 50, "{}", distinct.len());
    }
}
