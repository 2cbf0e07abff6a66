//! Streams a batch archive to the client while it is being written: a blocking task renders
//! PNGs into a bounded channel; the response body drains it. Memory stays at a few chunks.

use std::io::Write;

use rocket::http::{ContentType, Header};
use rocket::response::stream::ByteStream;
use rocket::response::{self, Responder};
use rocket::tokio::sync::mpsc;
use rocket::Request;
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::Responses;
use rocket_okapi::response::OpenApiResponderInner;

use super::docs::file_responses;
use super::App;
use crate::domain::archive::{self, ArchivePlan};

const CHUNK: usize = 64 * 1024;

/// A `Write` that hands 64 KiB chunks to the response; fails once the client has gone.
struct ChannelWriter {
    tx: mpsc::Sender<Vec<u8>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

pub struct ZipStream {
    filename: String,
    rx: mpsc::Receiver<Vec<u8>>,
}

/// Starts writing the archive of `plan` in the background.
pub fn stream(app: &App, plan: ArchivePlan) -> Result<ZipStream, crate::error::AppError> {
    let (tx, rx) = mpsc::channel(4);
    let filename = format!("batch-{}.zip", plan.batch_id);
    let app = app.clone();
    // Its own thread, not the blocking pool: a download is paced by the client and may last
    // minutes on a slow link, and must never take a slot that API requests need.
    let spawned = std::thread::Builder::new()
        .name("batch-archive".into())
        .spawn(move || {
            let writer = ChannelWriter {
                tx,
                buf: Vec::with_capacity(CHUNK),
            };
            if let Err(e) = archive::write(&plan, &app.ctx.qr, writer) {
                rocket::warn!("archive of batch {} stopped: {e}", plan.batch_id);
            }
        });
    spawned.map_err(|e| crate::error::AppError::Unavailable(format!("archive thread: {e}")))?;
    Ok(ZipStream { filename, rx })
}

impl<'r> Responder<'r, 'r> for ZipStream {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'r> {
        let chunks = rocket::futures::stream::unfold(self.rx, |mut rx| async move {
            rx.recv().await.map(|c| (c, rx))
        });
        rocket::Response::build_from(ByteStream(chunks).respond_to(req)?)
            .header(ContentType::ZIP)
            .header(Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.filename),
            ))
            .header(Header::new("Cache-Control", "no-store"))
            .ok()
    }
}

impl OpenApiResponderInner for ZipStream {
    fn responses(_: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        Ok(file_responses(
            &["application/zip"],
            true,
            "`{ticket_code}.png` per ticket and `manifest.csv`, streamed.",
        ))
    }
}
