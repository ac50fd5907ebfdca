//! A string's bytes scanned many at a time (SSE2 on x86_64, portable code elsewhere): where
//! the words of `split()` lie and where a short needle is (`find`, `replace`, `count`). The
//! string natives (`string.rs`) say what the methods mean; this module only finds positions.

use super::string::py_space;

/// ASCII bytes Python's `isspace` accepts: `\t \n \v \f \r`, `\x1c`–`\x1f` and space (two
/// ranges of five, which is how `classify16` tests them).
pub(crate) const ASCII_SPACE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b, 0x09..=0x0d | 0x1c..=0x20);
        b += 1;
    }
    t
};

/// Lead bytes of the multi-byte characters that may be whitespace: U+0085 and U+00A0 start
/// with C2, U+1680 with E1, U+2000–U+205F with E2, U+3000 with E3. Any other byte at or
/// above 0x80 (a continuation byte, or the lead of a character that is never whitespace)
/// is part of a word.
fn may_lead_space(b: u8) -> bool {
    b == 0xC2 || (0xE1..=0xE3).contains(&b)
}

/// Where a word lies in its text (`start..end`, bytes) and whether it is ASCII.
pub(crate) type WordAt = (usize, usize, bool);

/// Pushes where every word of `text` (Python's `split()`: runs of non-whitespace) lies, and
/// whether it is ASCII, onto `words`. `Err`: no memory for `words`.
///
/// Sixty-four bytes are classified at a time into bit masks (whitespace, not ASCII, may
/// lead a multi-byte space), and the words are read off the mask's 0-to-1 and 1-to-0
/// steps: a loop with a branch on every byte mispredicted at every word's end, and took
/// twice as long on a text of short words. A text holding a byte that may lead a
/// multi-byte space (`may_lead_space`) is scanned again character by character.
pub(crate) fn words(text: &str, ascii: bool, words: &mut Vec<WordAt>) -> Result<(), ()> {
    let before = words.len();
    match scan_blocks(text.as_bytes(), ascii, words)? {
        Blocks::Done => Ok(()),
        Blocks::NeedsDecoding => {
            words.truncate(before);
            scan_decoding(text, words)
        }
    }
}

enum Blocks {
    Done,
    NeedsDecoding,
}

/// `words`, from bit masks of 64 bytes at a time. `ascii`: no byte has its high bit set.
fn scan_blocks(bytes: &[u8], ascii: bool, words: &mut Vec<WordAt>) -> Result<Blocks, ()> {
    let mut base = 0;
    // The last byte of the previous block was in a word.
    let mut carry = 0u64;
    // The word being read: where it starts, that position within the current block (0 once
    // it runs on into a later block), and whether its bytes in earlier blocks were all ASCII.
    let (mut start, mut start_bit, mut earlier_ascii) = (0usize, 0u32, true);
    let mut in_word = false;
    while base < bytes.len() {
        let m = block(bytes, base);
        if !ascii && m.may_lead_space != 0 {
            return Ok(Blocks::NeedsDecoding);
        }
        let word = !m.space;
        // A bit for every position where a word starts or ends; they alternate.
        let mut steps = word ^ ((word << 1) | carry);
        while steps != 0 {
            let bit = steps.trailing_zeros();
            steps &= steps - 1;
            if in_word {
                let own = (!0u64 << start_bit) & ((1u64 << bit) - 1);
                push(
                    words,
                    (
                        start,
                        base + bit as usize,
                        earlier_ascii && m.high & own == 0,
                    ),
                )?;
            } else {
                (start, start_bit, earlier_ascii) = (base + bit as usize, bit, true);
            }
            in_word = !in_word;
        }
        if in_word {
            earlier_ascii &= m.high & (!0u64 << start_bit) == 0;
            start_bit = 0;
        }
        carry = word >> 63;
        base += 64;
    }
    if in_word {
        push(words, (start, bytes.len(), earlier_ascii))?;
    }
    Ok(Blocks::Done)
}

#[inline(always)]
fn push(words: &mut Vec<WordAt>, w: WordAt) -> Result<(), ()> {
    if words.len() == words.capacity() {
        stark_runtime::sysalloc::fallible(|| words.try_reserve(1)).map_err(|_| ())?;
    }
    words.push(w);
    Ok(())
}

/// One bit per byte of a block of up to 64 bytes, the first byte in the lowest bit. Bits
/// past the text's end read as whitespace.
struct Masks {
    space: u64,
    high: u64,
    may_lead_space: u64,
}

/// `Masks` of `bytes[base..]` (at most 64 bytes of it), sixteen bytes at a time. A last
/// piece shorter than sixteen is read as the sixteen bytes ending at the text's end, and
/// only its new bytes kept; a text shorter than sixteen bytes is copied out first.
#[inline(always)]
fn block(bytes: &[u8], base: usize) -> Masks {
    let n = (bytes.len() - base).min(64);
    let mut m = Masks {
        space: 0,
        high: 0,
        may_lead_space: 0,
    };
    let mut add = |c: [u32; 3], shift: u32, at: usize| {
        m.space |= u64::from(c[0] >> shift) << at;
        m.high |= u64::from(c[1] >> shift) << at;
        m.may_lead_space |= u64::from(c[2] >> shift) << at;
    };
    let mut k = 0;
    while k + 16 <= n {
        let chunk: &[u8; 16] = bytes[base + k..base + k + 16].try_into().expect("16 bytes");
        add(classify16(chunk), 0, k);
        k += 16;
    }
    if k < n {
        let rest = n - k;
        if bytes.len() >= 16 {
            let end = base + n;
            let chunk: &[u8; 16] = bytes[end - 16..end].try_into().expect("16 bytes");
            add(classify16(chunk), (16 - rest) as u32, k);
        } else {
            let mut padded = [b' '; 16];
            padded[..rest].copy_from_slice(&bytes[base + k..base + n]);
            add(classify16(&padded), 0, k);
        }
    }
    if n < 64 {
        m.space |= !0u64 << n;
    }
    m
}

/// Whitespace, high-bit and `may_lead_space` bits of sixteen bytes, with SSE2 (part of the
/// x86_64 baseline). An unsigned `x - lo <= span` is `min(x - lo, span) == x - lo`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn classify16(chunk: &[u8; 16]) -> [u32; 3] {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_sub_epi8,
    };
    // SAFETY: the intrinsics need SSE2, which this build targets (the `cfg` above); the
    // one load reads the sixteen bytes `chunk` refers to (an unaligned load).
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr() as *const __m128i);
        let within = |lo: u8, span: u8| {
            let d = _mm_sub_epi8(v, _mm_set1_epi8(lo as i8));
            _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(span as i8)), d)
        };
        let space = _mm_or_si128(within(0x09, 4), within(0x1c, 4));
        let lead = _mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8(0xC2u8 as i8)),
            within(0xE1, 2),
        );
        [
            _mm_movemask_epi8(space) as u32,
            _mm_movemask_epi8(v) as u32,
            _mm_movemask_epi8(lead) as u32,
        ]
    }
}

/// `classify16` without SIMD.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn classify16(chunk: &[u8; 16]) -> [u32; 3] {
    let mut c = [0u32; 3];
    for (i, &b) in chunk.iter().enumerate() {
        c[0] |= u32::from(ASCII_SPACE[b as usize]) << i;
        c[1] |= u32::from(b >= 0x80) << i;
        c[2] |= u32::from(may_lead_space(b)) << i;
    }
    c
}

/// `words` character by character, decoding each byte that may lead a multi-byte space.
fn scan_decoding(text: &str, words: &mut Vec<WordAt>) -> Result<(), ()> {
    let mut at = 0;
    while let Some(w) = next_word(text, at) {
        push(words, w)?;
        at = w.1;
    }
    Ok(())
}

/// The first word of `text` at or after byte `from` (a character boundary), and whether it
/// is ASCII; `None` when only whitespace is left. One word at a time, for a loop that takes
/// the words as it goes (`for w in s.split()`).
pub(crate) fn next_word(text: &str, from: usize) -> Option<WordAt> {
    let bytes = text.as_bytes();
    // Whether the character at byte `i` (a character boundary, or a continuation byte of
    // a character already found not to be whitespace) is whitespace, and its width.
    let space = |i: usize| -> (bool, usize) {
        let b = bytes[i];
        if may_lead_space(b) {
            match text.get(i..).and_then(|t| t.chars().next()) {
                Some(c) => (py_space(c), c.len_utf8()),
                None => (false, 1),
            }
        } else {
            (ASCII_SPACE[b as usize], 1)
        }
    };
    let mut i = from;
    while i < bytes.len() {
        let (s, w) = space(i);
        if !s {
            break;
        }
        i += w;
    }
    if i >= bytes.len() {
        return None;
    }
    let start = i;
    let mut high = 0u8;
    while i < bytes.len() {
        let (s, w) = space(i);
        if s {
            break;
        }
        high |= bytes[i];
        i += w;
    }
    Some((start, i, high < 0x80))
}

/// The byte offset of `needle` in `hay` at or after `from`. A short needle is looked for
/// eight positions at a time: a word of the text at each position and one `len - 1`
/// further on are compared with the needle's first and last bytes (SWAR), and only where
/// both match is the whole needle compared. The text of a line-by-line program is full of
/// the first letter of a needle such as `the`; a scan stopping at each of them, or a
/// two-way searcher built on every call, cost more.
pub(crate) fn find_at(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let rest = hay.get(from..)?;
    if needle.is_empty() {
        return Some(from);
    }
    if needle.len() > 16 {
        return rest.find(needle).map(|i| from + i);
    }
    // The first byte of a UTF-8 needle only ever matches at a character boundary (it is
    // never a continuation byte), so a byte scan finds exactly the matches.
    let bytes = rest.as_bytes();
    let pat = needle.as_bytes();
    let n = pat.len();
    // Only positions where the whole needle still fits are candidates.
    let last = bytes.len().checked_sub(n)?;
    let mut at = 0;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        if let Some(found) = find_x86(bytes, pat, last, &mut at) {
            return Some(from + found);
        }
    }
    let first = splat(pat[0]);
    let final_byte = splat(pat[n - 1]);
    // Positions `at..at + 8` are all candidates, and both words lie inside the text.
    while at + 7 <= last {
        let a = word_at(bytes, at);
        let b = word_at(bytes, at + n - 1);
        let mut hits = zero_bytes(a ^ first) & zero_bytes(b ^ final_byte);
        while hits != 0 {
            // Little-endian words: the lowest byte is the first position.
            let pos = at + (hits.trailing_zeros() / 8) as usize;
            if short_eq(&bytes[pos..pos + n], pat) {
                return Some(from + pos);
            }
            hits &= hits - 1;
        }
        at += 8;
    }
    while at <= last {
        if bytes[at] == pat[0] && short_eq(&bytes[at..at + n], pat) {
            return Some(from + at);
        }
        at += 1;
    }
    None
}

/// `find_at`'s test sixteen positions at a time, with SSE2: the bytes at each position and
/// `len - 1` further on are compared with the needle's first and last bytes, and only where
/// both match is the whole needle compared. Leaves `at` at the first position not yet
/// looked at (fewer than sixteen remain) when it finds nothing. `last` is the last position
/// where the needle (1 to 16 bytes) still fits.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn find_x86(bytes: &[u8], pat: &[u8], last: usize, at: &mut usize) -> Option<usize> {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let n = pat.len();
    // SAFETY: the intrinsics need SSE2, which this build targets (the `cfg` above; it is
    // part of the x86_64 baseline). The two 16-byte unaligned loads lie inside `bytes`:
    // positions `at..at + 16` are candidates, so the second load ends at
    // `at + n - 1 + 16 <= last + n = bytes.len()`.
    unsafe {
        let first = _mm_set1_epi8(pat[0] as i8);
        let final_byte = _mm_set1_epi8(pat[n - 1] as i8);
        while *at + 15 <= last {
            let a = _mm_loadu_si128(bytes.as_ptr().add(*at) as *const __m128i);
            let b = _mm_loadu_si128(bytes.as_ptr().add(*at + n - 1) as *const __m128i);
            let both = _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, final_byte));
            let mut hits = _mm_movemask_epi8(both) as u32;
            while hits != 0 {
                let pos = *at + hits.trailing_zeros() as usize;
                if short_eq(&bytes[pos..pos + n], pat) {
                    return Some(pos);
                }
                hits &= hits - 1;
            }
            *at += 16;
        }
    }
    None
}

/// Whether this machine has the bit instructions (`popcnt`, `tzcnt`, `blsr`) that a scan
/// over bit masks counts and walks them with: the x86_64 baseline lacks them, and the
/// software forms made the CSV reader's scans two to three times slower. A function
/// compiled for them (`#[target_feature(enable = "popcnt,bmi1")]`) may run when this is
/// true.
#[inline]
pub(crate) fn has_bit_ops() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("popcnt") && std::arch::is_x86_feature_detected!("bmi1")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Bits of the bytes of `bytes[base..]` (at most 64 of them, the first in the lowest bit)
/// equal to any of `needles`, one mask a needle; bits past the end are 0. What the CSV
/// reader splits its lines and fields on: a field's end is read off a mask, not found by a
/// branch on every byte.
#[inline(always)]
pub(crate) fn eq_masks<const N: usize>(bytes: &[u8], base: usize, needles: [u8; N]) -> [u64; N] {
    let n = (bytes.len() - base).min(64);
    if n == 64 {
        let block: &[u8; 64] = bytes[base..base + 64].try_into().expect("64 bytes");
        return eq64(block, needles);
    }
    // The last, short block: copied out, and the bits of what pads it cleared.
    let mut block = [0u8; 64];
    block[..n].copy_from_slice(&bytes[base..base + n]);
    let keep = (1u64 << n) - 1;
    eq64(&block, needles).map(|m| m & keep)
}

/// `eq_masks` of a whole block, with SSE2 (the x86_64 baseline).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn eq64<const N: usize>(block: &[u8; 64], needles: [u8; N]) -> [u64; N] {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut out = [0u64; N];
    // SAFETY: the intrinsics need SSE2, which this build targets (the `cfg` above); each
    // load reads sixteen of the block's 64 bytes (`k * 16 + 16 <= 64`), unaligned.
    unsafe {
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(k * 16) as *const __m128i);
            for (m, &b) in out.iter_mut().zip(&needles) {
                let hit = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))) as u32;
                *m |= u64::from(hit) << (k * 16);
            }
        }
    }
    out
}

/// `eq64` without SIMD.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn eq64<const N: usize>(block: &[u8; 64], needles: [u8; N]) -> [u64; N] {
    let mut out = [0u64; N];
    for (i, &c) in block.iter().enumerate() {
        for (m, &b) in out.iter_mut().zip(&needles) {
            *m |= u64::from(c == b) << i;
        }
    }
    out
}

/// `b` in every byte of a word.
#[inline(always)]
fn splat(b: u8) -> u64 {
    u64::from(b) * 0x0101_0101_0101_0101
}

/// The eight bytes of `bytes` from `at`, the first in the lowest byte.
#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(w)
}

/// The high bit of each byte of `x` that is zero, and no other bit (exact: no carry from
/// one byte reaches the next, as it can in the shorter `(x - 0x01..) & !x & 0x80..`).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// `a == b` for slices of the same length, byte by byte when they are short: a prefix or a
/// needle is a few bytes, fewer than a call to `memcmp` costs.
#[inline(always)]
pub(crate) fn short_eq(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    if a.len() > 16 {
        return a == b;
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::{find_at, words, WordAt};
    use crate::natives::string::py_space;

    /// Python's `split()` read the slow way: each character decoded and tested.
    fn words_by_chars(text: &str) -> Vec<WordAt> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (py_space(c), start) {
                (true, Some(s)) => {
                    out.push((s, i, text[s..i].is_ascii()));
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn words_agree_with_a_character_scan() {
        // Spaces of every kind (ASCII, the \x1c-\x1f separators, and the multi-byte ones
        // led by C2, E1, E2 and E3), non-ASCII letters, and a multi-byte character that is
        // not a space but shares a space's lead byte (an em dash, E2 80 94).
        let alphabet = [
            " ", "\t", "\n", "\x0b", "\x1c", "\x1f", "a", "Z", "é", "ü", "\u{a0}", "\u{85}",
            "\u{1680}", "\u{2003}", "\u{3000}", "—", "€", "日", "\u{7f}", "\x00",
        ];
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for len in 0..160 {
            for round in 0..40 {
                // Half the texts use only the first eight symbols (no multi-byte spaces), so
                // the block scan's own answer is checked, not just its fallback.
                let kinds = if round % 2 == 0 { 10 } else { alphabet.len() };
                let text: String = (0..len).map(|_| alphabet[next() % kinds]).collect();
                let mut got = Vec::new();
                words(&text, text.is_ascii(), &mut got).unwrap();
                assert_eq!(got, words_by_chars(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn words_across_blocks() {
        // Words ending and starting at every position around the 16- and 64-byte seams.
        for len in [15, 16, 17, 63, 64, 65, 127, 128, 129, 200] {
            for cut in 0..len {
                for high in [false, true] {
                    let mut text: Vec<char> = vec!['x'; len];
                    text[cut] = ' ';
                    if high {
                        text[len - 1 - cut / 2] = 'é';
                    }
                    let text: String = text.into_iter().collect();
                    let mut got = Vec::new();
                    words(&text, text.is_ascii(), &mut got).unwrap();
                    assert_eq!(got, words_by_chars(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn find_at_agrees_with_str_find() {
        let texts = [
            "",
            "t",
            "the",
            "then the other thing, then the end",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxthe",
            "ttttttttttttttttttthhhhhhhhhthe tthe",
            "héllo wörld the héllo THE wörld théthe",
            "\u{0}\u{0}\u{0}the\u{0}",
            "ab\u{80}\u{ff}ab\u{7f}\u{7f}ababab-abab",
        ];
        let needles = [
            "t",
            "the",
            "THE",
            "he",
            "é",
            "wörld",
            "ab",
            "abab",
            "x",
            "\u{0}",
            "\u{7f}",
            "théthe",
            "tthe",
            "0123456789abcdef",
            "then the other thi",
        ];
        for text in texts {
            for needle in needles {
                for from in 0..=text.len() {
                    if !text.is_char_boundary(from) {
                        continue;
                    }
                    let want = text[from..].find(needle).map(|i| from + i);
                    assert_eq!(
                        find_at(text, needle, from),
                        want,
                        "{needle:?} in {text:?} from {from}"
                    );
                }
            }
        }
    }
    #[test]
    fn find_at_finds_every_alignment() {
        // A needle at every offset of texts long enough for the sixteen-wide scan, with
        // near misses (first and last bytes matching) before it.
        for needle in ["th", "the", "thee", "0123456789abcdef", "q"] {
            for len in [16, 17, 31, 32, 33, 47, 64, 80] {
                for at in 0..len {
                    let mut text = "t.e".repeat(len).chars().take(len).collect::<String>();
                    if at + needle.len() <= len {
                        text.replace_range(at..at + needle.len(), needle);
                    }
                    for from in [0, 1, at.saturating_sub(1), at, at + 1] {
                        let want = text
                            .get(from..)
                            .and_then(|t| t.find(needle))
                            .map(|i| from + i);
                        assert_eq!(
                            find_at(&text, needle, from),
                            want,
                            "{needle:?} in {text:?} from {from}"
                        );
                    }
                }
            }
        }
    }
}
