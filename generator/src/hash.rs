//! Hashes. Content hashes: short, stable identifiers of bytes: of a document's text, its
//! version ([`short`], SHA-256, which members' reading events record); of a published file,
//! its cache-busting name and its entry in the service worker's precache manifest ([`file`],
//! XXH3). Fingerprints: fast 64-bit hashes compared within one process, of anything hashable
//! ([`of`]) or of anything serializable ([`of_serialized`]: a page's fingerprint is the hash
//! of its template's very context, so the two cannot disagree).

use sha2::{Digest, Sha256};

/// The first 16 hex digits of the SHA-256 of `bytes`.
pub fn short(bytes: &[u8]) -> String {
    hex16(&Sha256::digest(bytes)[..8])
}

/// The content hash of a published file: the first 16 hex digits of the XXH3-128 of its
/// bytes (big-endian). Stable across builds and versions (XXH3 is a fixed algorithm), and
/// about ten times faster than SHA-256 on the 200 MB of pages of a 10,000-document site,
/// where hashing every file cost ~3% of the build's CPU. A file's hash only names its
/// bytes to caches and phones, so nothing stronger than 64 bits of a good hash is needed.
pub fn file(bytes: &[u8]) -> String {
    let h = xxhash_rust::xxh3::xxh3_128(bytes).to_be_bytes();
    hex16(&h[..8])
}

fn hex16(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(16);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The hasher of fingerprints: foldhash's quality variant, with a fixed seed so that a
/// fingerprint is the same in every run. Several times faster than std's SipHash on the
/// front matter and page facts a rebuild hashes for every page; fingerprints are compared
/// only within one process (never stored), so no stability across versions is needed.
fn hasher() -> impl std::hash::Hasher {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x736f_7461_7900_0001).build_hasher()
}

/// A fast 64-bit hash for fingerprints inside one process (not stored, not for security).
pub fn fast(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = hasher();
    h.write(bytes);
    h.finish()
}

/// Hashes anything hashable, for fingerprints.
pub fn of<T: std::hash::Hash + ?Sized>(v: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = hasher();
    v.hash(&mut h);
    h.finish()
}

/// Hashes anything serializable, for fingerprints: every value the serializer is given, with
/// its type and its place (a field's name, a sequence's length), so that two values hash
/// alike only when they serialize alike. The serializer is not human-readable
/// ([`serde::Serializer::is_human_readable`]): a value that already knows its hash (see
/// [`Hashed`]) gives that instead of its contents.
pub fn of_serialized<T: serde::Serialize + ?Sized>(v: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = Fingerprint(hasher());
    // Writing into a hasher cannot fail; a value whose `Serialize` fails (none of ours) hashes
    // what it wrote before failing, plus the marker below.
    if v.serialize(&mut h).is_err() {
        h.0.write_u8(0xff);
    }
    h.0.finish()
}

/// A value serialized as itself for templates, and as its hash for fingerprints: a page's
/// body (hashed once, when it is rendered) or a list entry (hashed once per build).
pub struct Hashed<T> {
    pub value: T,
    /// The fingerprint of `value` (`of_serialized(&value)`, or a hash of its bytes).
    pub hash: u64,
}

impl<T: serde::Serialize> serde::Serialize for Hashed<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            self.value.serialize(s)
        } else {
            s.serialize_u64(self.hash)
        }
    }
}

/// The serializer of [`of_serialized`].
struct Fingerprint<H>(H);

/// Never produced: writing into a hasher cannot fail.
#[derive(Debug)]
pub struct NoError;

impl std::fmt::Display for NoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value could not be serialized for its fingerprint")
    }
}

impl std::error::Error for NoError {}

impl serde::ser::Error for NoError {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NoError
    }
}

impl<H: std::hash::Hasher> Fingerprint<H> {
    /// A tag per kind of value, so that `None` and `0`, or `""` and `[]`, differ.
    fn tag(&mut self, t: u8) {
        self.0.write_u8(t);
    }
    /// The start of an enum variant with fields.
    fn variant(&mut self, tag: u8, index: u32, len: usize) -> &mut Self {
        self.tag(tag);
        self.0.write_u32(index);
        self.0.write_usize(len);
        self
    }
    fn str(&mut self, v: &str) {
        self.0.write_usize(v.len());
        self.0.write(v.as_bytes());
    }
}

macro_rules! number {
    ($($f:ident: $t:ty => $w:ident as $as:ty, $tag:literal;)*) => {
        $(fn $f(self, v: $t) -> Result<(), NoError> {
            self.tag($tag);
            self.0.$w(v as $as);
            Ok(())
        })*
    };
}

impl<H: std::hash::Hasher> serde::Serializer for &mut Fingerprint<H> {
    type Ok = ();
    type Error = NoError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn is_human_readable(&self) -> bool {
        false
    }
    number! {
        serialize_bool: bool => write_u8 as u8, 1;
        serialize_i8: i8 => write_i64 as i64, 2;
        serialize_i16: i16 => write_i64 as i64, 2;
        serialize_i32: i32 => write_i64 as i64, 2;
        serialize_i64: i64 => write_i64 as i64, 2;
        serialize_u8: u8 => write_u64 as u64, 3;
        serialize_u16: u16 => write_u64 as u64, 3;
        serialize_u32: u32 => write_u64 as u64, 3;
        serialize_u64: u64 => write_u64 as u64, 3;
        serialize_char: char => write_u32 as u32, 4;
    }
    fn serialize_f32(self, v: f32) -> Result<(), NoError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), NoError> {
        self.tag(5);
        self.0.write_u64(v.to_bits());
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), NoError> {
        self.tag(6);
        self.str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), NoError> {
        self.tag(7);
        self.0.write_usize(v.len());
        self.0.write(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), NoError> {
        self.tag(8);
        Ok(())
    }
    fn serialize_some<T: serde::Serialize + ?Sized>(self, v: &T) -> Result<(), NoError> {
        self.tag(9);
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), NoError> {
        self.tag(10);
        Ok(())
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), NoError> {
        self.tag(11);
        self.str(name);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
    ) -> Result<(), NoError> {
        self.tag(12);
        self.0.write_u32(index);
        Ok(())
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), NoError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        v: &T,
    ) -> Result<(), NoError> {
        self.tag(13);
        self.0.write_u32(index);
        v.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, NoError> {
        self.tag(14);
        // The end marker (in `end`) delimits a sequence of unknown length.
        self.0.write_usize(len.unwrap_or(usize::MAX));
        Ok(self)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self, NoError> {
        self.tag(15);
        self.0.write_usize(len);
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Self, NoError> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Self, NoError> {
        Ok(self.variant(16, index, len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self, NoError> {
        self.tag(17);
        self.0.write_usize(len.unwrap_or(usize::MAX));
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Self, NoError> {
        self.tag(18);
        self.0.write_usize(len);
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Self, NoError> {
        Ok(self.variant(19, index, len))
    }
}

/// The end of a sequence, map or struct: what follows is not part of it.
const END: u8 = 0xfe;

macro_rules! compound {
    ($($tr:ident :: $($f:ident),+;)*) => {
        $(impl<H: std::hash::Hasher> serde::ser::$tr for &mut Fingerprint<H> {
            type Ok = ();
            type Error = NoError;
            $(fn $f<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NoError> {
                v.serialize(&mut **self)
            })+
            fn end(self) -> Result<(), NoError> {
                self.tag(END);
                Ok(())
            }
        })*
    };
}

compound! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
    SerializeTupleVariant::serialize_field;
    SerializeMap::serialize_key, serialize_value;
}

macro_rules! fields {
    ($($tr:ident;)*) => {
        $(impl<H: std::hash::Hasher> serde::ser::$tr for &mut Fingerprint<H> {
            type Ok = ();
            type Error = NoError;
            fn serialize_field<T: serde::Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                v: &T,
            ) -> Result<(), NoError> {
                self.str(name);
                v.serialize(&mut **self)
            }
            fn skip_field(&mut self, name: &'static str) -> Result<(), NoError> {
                // A skipped field hashes as absent, not as nothing: `{a: x}` with `b`
                // skipped differs from `{b: x}` with `a` skipped.
                self.tag(8);
                self.str(name);
                Ok(())
            }
            fn end(self) -> Result<(), NoError> {
                self.tag(END);
                Ok(())
            }
        })*
    };
}

fields! {
    SerializeStruct;
    SerializeStructVariant;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct A<'a> {
        x: Option<&'a str>,
        y: Vec<u32>,
        z: f64,
    }

    #[test]
    fn serialized_values_hash_apart() {
        let base = of_serialized(&A {
            x: Some("a"),
            y: vec![1, 2],
            z: 1.5,
        });
        assert_eq!(
            base,
            of_serialized(&A {
                x: Some("a"),
                y: vec![1, 2],
                z: 1.5
            })
        );
        for other in [
            A {
                x: None,
                y: vec![1, 2],
                z: 1.5,
            },
            A {
                x: Some(""),
                y: vec![1, 2],
                z: 1.5,
            },
            A {
                x: Some("a"),
                y: vec![12],
                z: 1.5,
            },
            A {
                x: Some("a"),
                y: vec![1, 2],
                z: 2.5,
            },
        ] {
            assert_ne!(base, of_serialized(&other));
        }
        // Where one string ends and the next begins is part of the value.
        assert_ne!(of_serialized(&("ab", "c")), of_serialized(&("a", "bc")));
        assert_ne!(
            of_serialized(&(vec![1u8], vec![2u8])),
            of_serialized(&(vec![1u8, 2], Vec::<u8>::new()))
        );
    }

    #[test]
    fn hashed_values_give_their_hash_to_fingerprints_and_themselves_to_templates() {
        let h = Hashed {
            value: "<p>văn bản</p>",
            hash: fast("<p>văn bản</p>".as_bytes()),
        };
        assert_eq!(
            serde_json::to_value(&h).ok(),
            Some(serde_json::json!("<p>văn bản</p>"))
        );
        assert_eq!(of_serialized(&h), of_serialized(&h.hash));
        let other = Hashed {
            value: "<p>khác</p>",
            hash: fast("<p>khác</p>".as_bytes()),
        };
        assert_ne!(of_serialized(&h), of_serialized(&other));
    }
}
