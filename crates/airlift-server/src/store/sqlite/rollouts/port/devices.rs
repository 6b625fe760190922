//! [`DeviceTx`] on SQLite: Devices' rows, commands and history.

use super::*;

impl DeviceTx for SqlTx<'_> {
    fn insert_devices(&mut self, tenant_id: &str, devices: &[NewDevice]) -> StoreResult<()> {
        fleet::insert_devices(self.c, tenant_id, devices)
    }

    fn firmware_version(&mut self, device_id: &str) -> StoreResult<Option<String>> {
        self.c
            .query_row(
                "SELECT firmware_version FROM devices WHERE id = ?1",
                [device_id],
                |r| r.get(0),
            )
            .map_err(db)
    }

    fn set_firmware_version(&mut self, device_id: &str, version: &str) -> StoreResult<()> {
        self.c
            .execute(
                "UPDATE devices SET firmware_version = ?2 WHERE id = ?1",
                params![device_id, version],
            )
            .map_err(db)?;
        Ok(())
    }

    fn append_history(&mut self, e: &HistoryEntry) -> StoreResult<()> {
        history(
            self.c,
            &e.tenant_id,
            &e.device_id,
            e.kind,
            e.rollout_id.as_deref(),
            e.package_id.as_deref(),
            e.command_id.as_deref(),
            e.status.as_deref(),
            e.message.as_deref(),
            e.progress,
            e.firmware_version.as_deref(),
            &e.at,
        )
    }

    fn insert_command(
        &mut self,
        ch: RangeChange<'_>,
        device_id: &str,
        kind: CommandKind,
    ) -> StoreResult<String> {
        let id = ids::new_id("cmd");
        self.c
            .prepare_cached(
                "INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind, package_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(db)?
            .execute(params![
                id,
                ch.tenant_id,
                device_id,
                ch.rollout_id,
                kind.as_str(),
                ch.package_id,
                ch.at
            ])
            .map_err(db)?;
        Ok(id)
    }

    fn cancel_commands(
        &mut self,
        rollout_id: &str,
        kind: Option<CommandKind>,
        at: &str,
    ) -> StoreResult<()> {
        let kind = kind.map(CommandKind::as_str);
        self.c
            .execute(
                "INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, command_id, status, at)
                 SELECT tenant_id, device_id, 'command_cancelled', rollout_id, package_id, id, kind, ?3
                 FROM device_commands
                 WHERE rollout_id = ?1 AND (?2 IS NULL OR kind = ?2) AND acked_at IS NULL AND cancelled_at IS NULL",
                params![rollout_id, kind, at],
            )
            .map_err(db)?;
        self.c
            .execute(
                "UPDATE device_commands SET cancelled_at = ?3
                 WHERE rollout_id = ?1 AND (?2 IS NULL OR kind = ?2) AND acked_at IS NULL AND cancelled_at IS NULL",
                params![rollout_id, kind, at],
            )
            .map_err(db)?;
        Ok(())
    }
}
