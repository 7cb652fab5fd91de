//! Reading the polygons of well-known binary (WKB, ISO or OGC 2D, either
//! byte order), as shapely's `to_wkb(..., output_dimension=2)` writes them,
//! into rings of `[longitude, latitude]`. `O(bytes)`.

use lifecircle::io::points::TableGeometry;

/// A cursor over WKB bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    little: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.at.checked_add(N).filter(|&e| e <= self.bytes.len()).ok_or("truncated WKB")?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[self.at..end]);
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if self.little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    fn f64(&mut self) -> Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if self.little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
    }

    /// A geometry's header: its byte order, then its type code.
    fn header(&mut self) -> Result<u32, String> {
        self.little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            b => return Err(format!("bad WKB byte order {b}")),
        };
        self.u32()
    }

    /// A count, bounded by the bytes left (each item takes at least `min_bytes`).
    fn count(&mut self, min_bytes: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_bytes) > self.bytes.len() - self.at {
            return Err("truncated WKB".into());
        }
        Ok(n)
    }

    fn rings(&mut self) -> Result<Vec<Vec<[f64; 2]>>, String> {
        let n = self.count(4)?;
        let mut rings = Vec::with_capacity(n);
        for _ in 0..n {
            let m = self.count(16)?;
            let mut ring = Vec::with_capacity(m);
            for _ in 0..m {
                ring.push([self.f64()?, self.f64()?]);
            }
            rings.push(ring);
        }
        Ok(rings)
    }
}

/// WKB type codes (2D).
const POLYGON: u32 = 3;
const MULTIPOLYGON: u32 = 6;

/// A Polygon's or MultiPolygon's rings from its WKB; any other type is
/// [`TableGeometry::Other`] with its name. Only 2D WKB is read.
pub fn polygonal(bytes: &[u8]) -> Result<TableGeometry, String> {
    let mut r = Reader { bytes, at: 0, little: true };
    let geometry = match r.header()? {
        POLYGON => TableGeometry::Polygon(r.rings()?),
        MULTIPOLYGON => {
            let n = r.count(9)?;
            let mut parts = Vec::with_capacity(n);
            for _ in 0..n {
                if r.header()? != POLYGON {
                    return Err("a MultiPolygon part is not a Polygon".into());
                }
                parts.push(r.rings()?);
            }
            TableGeometry::MultiPolygon(parts)
        }
        t => return Ok(TableGeometry::Other(type_name(t).to_string())),
    };
    if r.at != bytes.len() {
        return Err("trailing bytes after the WKB geometry".into());
    }
    Ok(geometry)
}

/// The name of a (2D, ISO) WKB type code.
pub fn type_name(code: u32) -> &'static str {
    match code % 1000 {
        1 => "Point",
        2 => "LineString",
        3 => "Polygon",
        4 => "MultiPoint",
        5 => "MultiLineString",
        6 => "MultiPolygon",
        7 => "GeometryCollection",
        _ => "an unknown geometry",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le_polygon(rings: &[&[[f64; 2]]]) -> Vec<u8> {
        let mut b = vec![1u8];
        b.extend(3u32.to_le_bytes());
        b.extend((rings.len() as u32).to_le_bytes());
        for ring in rings {
            b.extend((ring.len() as u32).to_le_bytes());
            for p in *ring {
                b.extend(p[0].to_le_bytes());
                b.extend(p[1].to_le_bytes());
            }
        }
        b
    }

    #[test]
    fn polygons_and_multipolygons_are_read_in_either_byte_order() {
        let square: &[[f64; 2]] = &[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
        let hole: &[[f64; 2]] = &[[0.2, 0.2], [0.3, 0.2], [0.3, 0.3], [0.2, 0.2]];
        let poly = le_polygon(&[square, hole]);
        let want = vec![square.to_vec(), hole.to_vec()];
        assert_eq!(polygonal(&poly), Ok(TableGeometry::Polygon(want.clone())));

        let mut multi = vec![1u8];
        multi.extend(6u32.to_le_bytes());
        multi.extend(2u32.to_le_bytes());
        multi.extend(&poly);
        multi.extend(le_polygon(&[square]));
        assert_eq!(polygonal(&multi), Ok(TableGeometry::MultiPolygon(vec![want, vec![square.to_vec()]])));

        // Big-endian: a triangle.
        let mut be = vec![0u8];
        be.extend(3u32.to_be_bytes());
        be.extend(1u32.to_be_bytes());
        be.extend(3u32.to_be_bytes());
        for p in [[9.5f64, 47.1], [9.6, 47.1], [9.5, 47.2]] {
            be.extend(p[0].to_be_bytes());
            be.extend(p[1].to_be_bytes());
        }
        assert_eq!(polygonal(&be), Ok(TableGeometry::Polygon(vec![vec![[9.5, 47.1], [9.6, 47.1], [9.5, 47.2]]])));
    }

    #[test]
    fn other_types_are_named_and_broken_bytes_refused() {
        let mut line = vec![1u8];
        line.extend(2u32.to_le_bytes());
        line.extend(0u32.to_le_bytes());
        assert_eq!(polygonal(&line), Ok(TableGeometry::Other("LineString".into())));
        let poly = le_polygon(&[&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]);
        assert_eq!(polygonal(&poly[..poly.len() - 3]), Err("truncated WKB".into()));
        let mut huge = poly[..9].to_vec();
        huge.extend(u32::MAX.to_le_bytes());
        assert_eq!(
            polygonal(&huge),
            Err("truncated WKB".into()),
            "a count beyond the bytes is refused before allocating"
        );
        assert!(polygonal(&[7u8]).is_err());
    }
}
