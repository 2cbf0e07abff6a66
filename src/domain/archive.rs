//! A batch as a ZIP: `{ticket_code}.png` (the voucher QR) per ticket and `manifest.csv`. Written
//! as a stream into any `Write` — the HTTP layer forwards chunks to the client as they are made,
//! so memory stays bounded whatever the batch size. PNGs are stored, not deflated: they are
//! already compressed.

use std::io::Write;

use rusqlite::Connection;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::audit::{self, Actor};
use super::batches::{self, Scope};
use super::catalog;
use super::csv::{Cell, Csv};
use super::qr::{self, QrSigner};
use super::tickets::rows::TicketStatus;
use crate::db::Db;
use crate::error::AppError;

/// What goes into the archive, read up front so no database connection is held while rendering.
pub struct ArchivePlan {
    pub batch_id: String,
    pub reseller_code: Option<String>,
    /// The package's name and the batch's (provisional) sales-period end, for the manifest.
    package_name: String,
    sales_period_end: String,
    tickets: Vec<(String, i64, TicketStatus)>,
}

/// Reads what the archive holds and records the download in the audit log, in one transaction.
pub fn prepare_download(
    db: &Db,
    batch_id: &str,
    scope: Scope,
    actor: Actor,
) -> Result<ArchivePlan, AppError> {
    let batch_id = batch_id.to_owned();
    db.write(move |tx| {
        let batch = batches::find(tx, &batch_id, scope)?;
        let tickets = codes_of_batch(tx, &batch_id)?;
        audit::record(
            tx,
            actor,
            Some(batch.partner_id),
            "batch.download",
            ("batch", &batch_id),
            serde_json::json!({"tickets": tickets.len()}),
        )?;
        Ok(ArchivePlan {
            package_name: catalog::product(tx, batch.product_id, "product_id")?.name,
            sales_period_end: batch.expires_at,
            batch_id: batch.batch_id,
            reseller_code: batch.reseller_code,
            tickets,
        })
    })
}

/// Tickets rendered per round: enough to keep every core busy, few enough to bound memory.
const ROUND: usize = 256;

/// Renders the voucher PNGs of `tickets` on all cores, keeping their order.
fn render_round(
    tickets: &[(String, i64, TicketStatus)],
    signer: &QrSigner,
) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let per_worker = tickets.len().div_ceil(workers).max(1);
    let render =
        |part: &[(String, i64, TicketStatus)]| -> Result<Vec<(String, Vec<u8>)>, AppError> {
            part.iter()
                .map(|(code, _, _)| {
                    let voucher = signer.voucher_token(code)?;
                    let png = qr::png(&voucher)?;
                    Ok((voucher, png))
                })
                .collect()
        };
    std::thread::scope(|s| {
        let handles: Vec<_> = tickets
            .chunks(per_worker)
            .map(|part| s.spawn(move || render(part)))
            .collect();
        let mut out = Vec::with_capacity(tickets.len());
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| AppError::Internal("QR render thread panicked".into()))??,
            );
        }
        Ok(out)
    })
}

pub fn write<W: Write>(plan: &ArchivePlan, signer: &QrSigner, out: W) -> Result<(), AppError> {
    let io = |e: std::io::Error| AppError::Internal(format!("archive: {e}"));
    let ze = |e: zip::result::ZipError| AppError::Internal(format!("archive: {e}"));
    let mut zip = ZipWriter::new_stream(out);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    // The contract's six columns first; later columns are additions.
    let mut manifest = Csv::new(&[
        "ticket_code",
        "product_id",
        "status",
        "voucher_token",
        "batch_id",
        "reseller_code",
        "package_name",
        "sales_period_end",
    ]);
    for round in plan.tickets.chunks(ROUND) {
        for ((code, product_id, status), (voucher, png)) in
            round.iter().zip(render_round(round, signer)?)
        {
            zip.start_file(format!("{code}.png"), stored).map_err(ze)?;
            zip.write_all(&png).map_err(io)?;
            manifest.row([
                Cell::Text(code),
                Cell::Int(*product_id),
                Cell::Text(status.as_str()),
                Cell::Text(&voucher),
                Cell::Text(&plan.batch_id),
                plan.reseller_code.as_deref().into(),
                Cell::Text(&plan.package_name),
                Cell::Text(&plan.sales_period_end),
            ]);
        }
    }
    zip.start_file(
        "manifest.csv",
        SimpleFileOptions::default().compression_method(CompressionMethod::Deflated),
    )
    .map_err(ze)?;
    zip.write_all(manifest.finish().as_bytes()).map_err(io)?;
    zip.finish().map_err(ze)?.flush().map_err(io)?;
    Ok(())
}

/// (code, product, status) of every ticket of a batch, in issue order.
fn codes_of_batch(
    conn: &Connection,
    batch_id: &str,
) -> Result<Vec<(String, i64, TicketStatus)>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT code, product_id, status FROM tickets WHERE batch_id = ?1 ORDER BY id",
        )?
        .query_map([batch_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?)
}
