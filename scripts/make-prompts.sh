#!/usr/bin/env bash
# Regenerates the spoken prompts of Koppla Växel's voicemail (crates/vaxel/assets/prompts/).
#
#   scripts/make-prompts.sh            # writes crates/vaxel/assets/prompts/{sv,en}/*.wav
#
# Needs espeak-ng and sox (both installed by scripts/setup.sh). The clips are committed and
# compiled into the switch (include_bytes! in crates/vaxel/src/media/prompts.rs), so the switch
# never runs espeak-ng for them; run this only after changing a text below, then commit the
# clips. The same command gives the same files: espeak-ng is deterministic and sox runs without
# dither (-D) and with its repeatable random seed (-R), so an unchanged text gives a byte-equal
# clip (git shows no change).
#
# Each clip: espeak-ng (voice below; slightly slower than default so it survives G.711 and a
# phone speaker) → trim leading/trailing silence → 8 kHz mono 16-bit → normalise to -3 dBFS.
# Numbers and ordinals are clips too; prompts.rs composes 21 = "tjugo"+"ett", 23rd =
# "twenty"+"third", 123 = "ett"+"hundra"+"tjugo"+"tre" etc. The record tone is generated in code.
#
# File names are what prompts.rs looks up: <lang>/<name>.wav. Every name must exist in both
# languages (a unit test in prompts.rs loads every prompt in both).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/crates/vaxel/assets/prompts"

command -v espeak-ng >/dev/null || { echo "espeak-ng is not installed (scripts/setup.sh)" >&2; exit 1; }
command -v sox >/dev/null || { echo "sox is not installed (scripts/setup.sh)" >&2; exit 1; }

# Voice, words per minute and pitch per language. The +f3 variant is a calmer female voice than
# the default; 160 wpm is slower than espeak's 175 so every word is clear on a phone line.
voice_sv="sv+f3"
voice_en="en-us+f3"
speed=160
pitch=45

# name|Swedish text|English text
clips() {
cat <<'EOF'
welcome|Röstbrevlåda.|Voicemail.
enter_mailbox|Ange brevlådans nummer och avsluta med fyrkant.|Enter your mailbox number, then press hash.
enter_pin|Ange din PIN-kod och avsluta med fyrkant.|Enter your PIN, then press hash.
wrong_pin|Fel PIN-kod.|Wrong PIN.
locked|Brevlådan är spärrad. Försök igen senare.|This mailbox is locked. Please try again later.
you_have|Du har|You have
new_message|nytt meddelande|new message
new_messages|nya meddelanden|new messages
saved_message|sparat meddelande|saved message
saved_messages|sparade meddelanden|saved messages
no_messages|Du har inga meddelanden.|You have no messages.
main_menu|Tryck 2 för dina meddelanden, 4 för att lyssna på din hälsning, 5 för att spela in en ny hälsning, 6 för att ta bort hälsningen, 0 för att höra menyn igen och stjärna för att avsluta.|Press 2 for your messages, 4 to listen to your greeting, 5 to record a new greeting, 6 to delete the greeting, 0 to hear this menu again, and star to quit.
message_menu|Tryck 1 för föregående, 2 för att lyssna igen, 3 för nästa, 7 för att ta bort, 0 för huvudmenyn och stjärna för att avsluta.|Press 1 for the previous message, 2 to listen again, 3 for the next, 7 to delete, 0 for the main menu, and star to quit.
received|Mottaget|Received
at|klockan|at
message_deleted|Meddelandet är borttaget.|Message deleted.
no_more_messages|Inga fler meddelanden.|No more messages.
no_greeting|Du har ingen egen hälsning.|You have no personal greeting.
record_greeting|Spela in din hälsning efter tonen och tryck fyrkant när du är klar.|Record your greeting after the tone, and press hash when done.
greeting_saved|Hälsningen är sparad.|Your greeting has been saved.
greeting_deleted|Hälsningen är borttagen.|Your greeting has been deleted.
goodbye|Hej då.|Goodbye.
invalid|Ogiltigt val.|Invalid choice.
leave_message|Personen du söker kan inte svara just nu. Lämna ett meddelande efter tonen.|The person you are calling cannot answer right now. Please leave a message after the tone.
busy_leave_message|Personen du söker är upptagen i telefon. Lämna ett meddelande efter tonen.|The person you are calling is on another call. Please leave a message after the tone.
mailbox_full|Brevlådan är full och kan inte ta emot fler meddelanden.|This mailbox is full and cannot take any more messages.
cannot_record|Det går inte att spela in ett meddelande just nu.|A message cannot be recorded right now.
am|på förmiddagen|a m
pm|på eftermiddagen|p m
oclock|prick|o'clock
oh|noll|oh
hundred|hundra|hundred
thousand|tusen|thousand
n00|noll|zero
n01|ett|one
n02|två|two
n03|tre|three
n04|fyra|four
n05|fem|five
n06|sex|six
n07|sju|seven
n08|åtta|eight
n09|nio|nine
n10|tio|ten
n11|elva|eleven
n12|tolv|twelve
n13|tretton|thirteen
n14|fjorton|fourteen
n15|femton|fifteen
n16|sexton|sixteen
n17|sjutton|seventeen
n18|arton|eighteen
n19|nitton|nineteen
n20|tjugo|twenty
n30|trettio|thirty
n40|fyrtio|forty
n50|femtio|fifty
n60|sextio|sixty
n70|sjuttio|seventy
n80|åttio|eighty
n90|nittio|ninety
o01|första|first
o02|andra|second
o03|tredje|third
o04|fjärde|fourth
o05|femte|fifth
o06|sjätte|sixth
o07|sjunde|seventh
o08|åttonde|eighth
o09|nionde|ninth
o10|tionde|tenth
o11|elfte|eleventh
o12|tolfte|twelfth
o13|trettonde|thirteenth
o14|fjortonde|fourteenth
o15|femtonde|fifteenth
o16|sextonde|sixteenth
o17|sjuttonde|seventeenth
o18|artonde|eighteenth
o19|nittonde|nineteenth
o20|tjugonde|twentieth
o30|trettionde|thirtieth
m01|januari|January
m02|februari|February
m03|mars|March
m04|april|April
m05|maj|May
m06|juni|June
m07|juli|July
m08|augusti|August
m09|september|September
m10|oktober|October
m11|november|November
m12|december|December
EOF
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/sv" "$out/en"

render() { # voice text dest
    espeak-ng -v "$1" -s "$speed" -p "$pitch" -w "$tmp/raw.wav" -- "$2"
    # silence: drop everything below 0.3 % before the first and after the last sound (reverse
    # twice); rate -v: high-quality resampling to the RTP clock; norm last, so the peak of the
    # final clip is at -3 dBFS and every clip is equally loud; -D: no dither, so the output is
    # reproducible.
    sox -R -D "$tmp/raw.wav" -r 8000 -c 1 -b 16 "$3" \
        silence 1 0.01 0.3% reverse silence 1 0.01 0.3% reverse \
        rate -v 8000 norm -3
}

n=0
while IFS='|' read -r name sv en; do
    [ -n "$name" ] || continue
    render "$voice_sv" "$sv" "$out/sv/$name.wav"
    render "$voice_en" "$en" "$out/en/$name.wav"
    n=$((n + 1))
done < <(clips)
echo "wrote $n clips per language to $out ($(du -sh "$out" | cut -f1))"
