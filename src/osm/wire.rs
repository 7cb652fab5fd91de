//! The protobuf wire format, just what the OSM PBF messages use.
//!
//! A zero-copy reader over a byte slice: fields come out as `(number, value)`
//! with length-delimited values borrowed from the input. Every length is
//! checked against what is left, so hostile input gives an error, never a
//! panic or an allocation it asks for. `O(bytes)` for a whole message.

/// What is wrong with a message, in words for the user.
pub(crate) type WireResult<T> = std::result::Result<T, String>;

/// One field value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 2: bytes, a string, a sub-message or a packed array.
    Bytes(&'a [u8]),
    /// Wire types 1 and 5 (no PBF field we read uses them; skipped).
    Fixed,
}

/// Reads fields from a message's bytes.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over a whole message.
    #[inline]
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// The next varint.
    #[inline]
    pub(crate) fn varint(&mut self) -> WireResult<u64> {
        let rest = &self.buf[self.pos..];
        let mut v = 0u64;
        for (i, &b) in rest.iter().take(10).enumerate() {
            v |= ((b & 0x7F) as u64) << (7 * i);
            if b < 0x80 {
                self.pos += i + 1;
                return Ok(v);
            }
        }
        Err(if rest.len() < 10 { "message cut short inside a number" } else { "a number longer than 10 bytes" }.into())
    }

    /// The next field, or `None` at the end of the message.
    #[inline]
    pub(crate) fn field(&mut self) -> WireResult<Option<(u32, Value<'a>)>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| "field number out of range".to_string())?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.skip(8)?;
                Value::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length out of range".to_string())?;
                let start = self.pos;
                self.skip(len)?;
                Value::Bytes(&self.buf[start..self.pos])
            }
            5 => {
                self.skip(4)?;
                Value::Fixed
            }
            w => return Err(format!("unsupported wire type {w} (field {number})")),
        };
        Ok(Some((number, value)))
    }

    fn skip(&mut self, n: usize) -> WireResult<()> {
        if n > self.buf.len() - self.pos {
            return Err("message cut short (a length runs past its end)".into());
        }
        self.pos += n;
        Ok(())
    }
}

/// Zigzag-decodes a `sint64`.
#[inline]
pub(crate) fn zigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends the values of a repeated varint field: packed bytes, or one unpacked value.
pub(crate) fn push_varints(value: Value<'_>, out: &mut Vec<u64>) -> WireResult<()> {
    match value {
        Value::Varint(v) => out.push(v),
        Value::Bytes(b) => {
            let mut r = Reader::new(b);
            while r.pos < b.len() {
                out.push(r.varint()?);
            }
        }
        Value::Fixed => return Err("a fixed-width value where numbers were expected".into()),
    }
    Ok(())
}

/// Appends the running sums of a repeated delta-coded `sint64` field (ids,
/// coordinates, way references), with wrapping arithmetic as hostile deltas may overflow.
pub(crate) fn push_delta_sint64(value: Value<'_>, running: &mut i64, out: &mut Vec<i64>) -> WireResult<()> {
    let mut add = |v: u64, out: &mut Vec<i64>| {
        *running = running.wrapping_add(zigzag(v));
        out.push(*running);
    };
    match value {
        Value::Varint(v) => add(v, out),
        Value::Bytes(b) => {
            out.reserve(b.len() / 2);
            let mut r = Reader::new(b);
            while r.pos < b.len() {
                add(r.varint()?, out);
            }
        }
        Value::Fixed => return Err("a fixed-width value where numbers were expected".into()),
    }
    Ok(())
}

/// A varint field's value as a `u32` (string indices, sizes), or an error naming `what`.
pub(crate) fn varint_u32(value: Value<'_>, what: &str) -> WireResult<u32> {
    match value {
        Value::Varint(v) => u32::try_from(v).map_err(|_| format!("{what} out of range ({v})")),
        _ => Err(format!("{what}: wrong field type")),
    }
}

/// A length-delimited field's bytes, or an error naming `what`.
pub(crate) fn bytes<'a>(value: Value<'a>, what: &str) -> WireResult<&'a [u8]> {
    match value {
        Value::Bytes(b) => Ok(b),
        _ => Err(format!("{what}: wrong field type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes a varint the obvious way (the reference for the reader).
    fn encode(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    #[test]
    fn varints_round_trip_and_cut_input_is_an_error() {
        let values = [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX, i64::MIN as u64];
        let mut buf = Vec::new();
        for v in values {
            encode(v, &mut buf);
        }
        let mut r = Reader::new(&buf);
        for v in values {
            assert_eq!(r.varint().unwrap(), v);
        }
        assert!(Reader::new(&buf[..buf.len() - 1]).varint().is_ok());
        let mut cut = Reader::new(&[0x80, 0x80]);
        assert!(cut.varint().is_err());
        assert!(Reader::new(&[0xFF; 11]).varint().is_err());
    }

    #[test]
    fn zigzag_matches_the_definition() {
        for v in [0i64, -1, 1, -2, 2, i64::MAX, i64::MIN, 123_456_789, -987_654_321] {
            let enc = ((v << 1) ^ (v >> 63)) as u64;
            assert_eq!(zigzag(enc), v);
        }
    }

    #[test]
    fn fields_and_lengths_are_checked() {
        // Field 1 varint 150, field 2 bytes "hi", field 3 with a length past the end.
        let buf = [0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x1A, 0x05, 0x00];
        let mut r = Reader::new(&buf);
        assert!(matches!(r.field().unwrap(), Some((1, Value::Varint(150)))));
        assert!(matches!(r.field().unwrap(), Some((2, Value::Bytes(b"hi")))));
        assert!(r.field().is_err());
        // Packed and unpacked repeated fields give the same values.
        let mut out = Vec::new();
        push_varints(Value::Bytes(&[0x01, 0x96, 0x01]), &mut out).unwrap();
        push_varints(Value::Varint(7), &mut out).unwrap();
        assert_eq!(out, vec![1, 150, 7]);
        let (mut running, mut ids) = (0i64, Vec::new());
        push_delta_sint64(Value::Bytes(&[0x14, 0x03, 0x04]), &mut running, &mut ids).unwrap();
        assert_eq!(ids, vec![10, 8, 10]);
    }
}
