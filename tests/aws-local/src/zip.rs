//! Just enough of the zip format for Lambda packages: read one entry
//! (stored or deflated, as `cargo lambda` writes them) and write a
//! one-entry archive (the stand-in packages `make aws-local` synthesizes
//! with when `make package` has not run).

use std::io::Read;

use anyhow::{Context, Result, anyhow, bail};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_DIRECTORY: u32 = 0x0605_4b50;

fn u16_at(bytes: &[u8], at: usize) -> Result<usize> {
    let b = bytes
        .get(at..at + 2)
        .ok_or_else(|| anyhow!("the zip archive is cut short"))?;
    Ok(usize::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32> {
    let b = bytes
        .get(at..at + 4)
        .ok_or_else(|| anyhow!("the zip archive is cut short"))?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The content of the entry `name`, or `None` if the archive has none.
pub fn read_entry(archive: &[u8], name: &str) -> Result<Option<Vec<u8>>> {
    // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
    let end = (0..=archive.len().saturating_sub(22))
        .rev()
        .take(65_536 + 22)
        .find(|&i| u32_at(archive, i).ok() == Some(END_OF_DIRECTORY))
        .ok_or_else(|| anyhow!("not a zip archive: no end-of-central-directory record"))?;
    let entries = u16_at(archive, end + 10)?;
    let mut at = u32_at(archive, end + 16)? as usize;
    for _ in 0..entries {
        if u32_at(archive, at)? != CENTRAL_HEADER {
            bail!("the zip central directory is damaged");
        }
        let method = u16_at(archive, at + 10)?;
        let compressed = u32_at(archive, at + 20)? as usize;
        let name_len = u16_at(archive, at + 28)?;
        let extra_len = u16_at(archive, at + 30)?;
        let comment_len = u16_at(archive, at + 32)?;
        let local = u32_at(archive, at + 42)? as usize;
        let entry_name = archive
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| anyhow!("the zip archive is cut short"))?;
        if entry_name == name.as_bytes() {
            if u32_at(archive, local)? != LOCAL_HEADER {
                bail!("the zip local header of {name} is damaged");
            }
            let start = local + 30 + u16_at(archive, local + 26)? + u16_at(archive, local + 28)?;
            let data = archive
                .get(start..start + compressed)
                .ok_or_else(|| anyhow!("the zip entry {name} is cut short"))?;
            return match method {
                0 => Ok(Some(data.to_vec())),
                8 => {
                    let mut out = Vec::new();
                    flate2::read::DeflateDecoder::new(data)
                        .read_to_end(&mut out)
                        .with_context(|| format!("cannot inflate {name}"))?;
                    Ok(Some(out))
                }
                other => bail!("the zip entry {name} uses compression method {other}"),
            };
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(None)
}

/// A zip archive of one stored entry, executable (`rwxr-xr-x`).
pub fn single_entry(name: &str, content: &[u8]) -> Vec<u8> {
    let crc = crc32(content);
    let size = u32::try_from(content.len()).unwrap_or(u32::MAX);
    let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(content.len() + 2 * name.len() + 100);
    let common = |out: &mut Vec<u8>| {
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&0u16.to_le_bytes()); // time
        out.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
    };
    out.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes());
    common(&mut out);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(content);
    let directory = u32::try_from(out.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
    out.extend_from_slice(&0x031eu16.to_le_bytes()); // made by: Unix
    out.extend_from_slice(&20u16.to_le_bytes());
    common(&mut out);
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    out.extend_from_slice(&0u16.to_le_bytes()); // disk
    out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    out.extend_from_slice(&(0o100_755u32 << 16).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name.as_bytes());
    let directory_size = u32::try_from(out.len()).unwrap_or(u32::MAX) - directory;
    out.extend_from_slice(&END_OF_DIRECTORY.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&directory_size.to_le_bytes());
    out.extend_from_slice(&directory.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// CRC-32 (IEEE), bit by bit: archives here are a few hundred bytes.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_archive_reads_back() {
        let archive = single_entry("bootstrap", b"#!/bin/sh\necho hi\n");
        assert_eq!(
            read_entry(&archive, "bootstrap").unwrap().unwrap(),
            b"#!/bin/sh\necho hi\n"
        );
        assert_eq!(read_entry(&archive, "other").unwrap(), None);
    }

    #[test]
    fn the_crc_is_ieee() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn a_deflated_entry_is_inflated() {
        use std::io::Write;
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"hello hello hello").unwrap();
        let deflated = encoder.finish().unwrap();
        // The stored archive, with the method and sizes rewritten for deflate.
        let mut archive = single_entry("x", &deflated);
        let size = (deflated.len() as u32).to_le_bytes();
        archive[8] = 8; // local header: method
        let central = archive.len() - 22 - 47;
        archive[central + 10] = 8;
        archive[central + 24..central + 28].copy_from_slice(&(17u32).to_le_bytes());
        let _ = size;
        assert_eq!(
            read_entry(&archive, "x").unwrap().unwrap(),
            b"hello hello hello"
        );
    }
}
