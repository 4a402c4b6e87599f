//! `device enroll | list | revoke`.

use danvan_core::Coded;

use crate::config::DeviceCommand;
use crate::enrollment::{EnrollmentRequest, issue, render_qr};
use crate::error::{Error, Result};
use crate::storage::Storage;
use crate::units::Units;

/// Run a `device` subcommand.
pub async fn run(
    cmd: DeviceCommand,
    storage: &dyn Storage,
    units: &Units,
    public_url: Option<String>,
) -> Result<()> {
    match cmd {
        DeviceCommand::Enroll {
            person,
            role,
            unit,
            expires_hours,
            created_by,
        } => {
            let req = EnrollmentRequest {
                person,
                role,
                unit,
                expires_hours,
                created_by,
            };
            let issued = issue(storage, &units.tree(), &req, public_url.as_deref()).await?;
            let unit_name = units
                .tree()
                .unit(&req.unit, chrono::Utc::now().date_naive())
                .map(|u| u.name.clone())
                .unwrap_or_default();
            out!("Mã đăng ký thiết bị / enrollment code: {}", issued.code);
            out!("  Người dùng / person: {}", req.person);
            out!("  Vai trò / role: {} ({})", role.label().vi, role);
            out!("  Đơn vị / unit: {} {}", req.unit, unit_name);
            out!(
                "  Hết hạn / expires: {} (UTC), dùng một lần / single use",
                issued.expires_at
            );
            out!("{}", render_qr(&issued.qr_payload)?);
            if public_url.is_none() {
                out!("(no --public-url / DANVAN_PUBLIC_URL: the QR code carries no server)");
            }
        }
        DeviceCommand::List => {
            let devices = storage.list_devices().await?;
            out!(
                "{:<36}  {:<24}  {:<16}  {:<10}  {:<8}  {:<16}",
                "ID",
                "PERSON",
                "ROLE",
                "UNIT",
                "STATUS",
                "LAST SEEN (UTC)"
            );
            for d in devices {
                let status = if d.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let seen = d
                    .last_seen_at
                    .map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string());
                let person: String = d.person_name.chars().take(24).collect();
                out!(
                    "{:<36}  {:<24}  {:<16}  {:<10}  {:<8}  {:<16}",
                    d.id,
                    person,
                    d.role.code(),
                    d.unit,
                    status,
                    seen
                );
            }
        }
        DeviceCommand::Revoke { id } => {
            let Some((known, _)) = storage.device_with_secret(id).await? else {
                return Err(Error::Invalid(format!("no device with id {id}")));
            };
            // Revoking again changes nothing (the first time is kept): say so, with that time.
            if let Some(at) = known.revoked_at {
                out!(
                    "device {} ({}) was already revoked at {}; nothing changed",
                    known.id,
                    known.person_name,
                    at.to_rfc3339()
                );
                return Ok(());
            }
            match storage.revoke_device(id, chrono::Utc::now()).await? {
                Some(d) => out!(
                    "device {} ({}) revoked at {}",
                    d.id,
                    d.person_name,
                    d.revoked_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                ),
                None => return Err(Error::Invalid(format!("no device with id {id}"))),
            }
        }
    }
    Ok(())
}
