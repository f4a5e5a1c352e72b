"""Records as histories: a base record and dated changes become version rows."""

from __future__ import annotations


class VersionWriter:
    """Part of `World` (the generation run): its methods below."""

    def _versions(
        self,
        base: dict,
        changes: list[tuple[int, dict]],
        stamp: tuple[str, ...],
        custom: tuple[str, str, object] | None = None,
        until: int | None = None,
    ) -> list[dict]:
        """Expand a record and its dated changes into version rows visible before `until`."""
        until = self.end if until is None else until
        rows, state = [], dict(base)
        created = base[stamp[0]]
        for when, update in sorted([(created, {}), *changes], key=lambda change: change[0]):
            if when >= until:
                break
            state.update(update)
            if custom and when >= custom[1]:
                state[custom[0]] = custom[2]
            for field in stamp[1:]:
                state[field] = when
            state["_version_at"] = when
            rows.append(dict(state))
        return rows

    def _sf_versions(
        self,
        sobject: str,
        base: dict,
        changes: list[tuple[int, dict]],
        deleted_at: int | None = None,
    ) -> list[dict]:
        custom = None
        if sobject == "Lead":
            custom = (
                "Product_Interest__c",
                self.custom_fields[("salesforce", "Lead", "Product_Interest__c")],
                base.pop("_interest"),
            )
        base.setdefault("IsDeleted", False)
        stamp = ("CreatedDate", "LastModifiedDate", "SystemModstamp")
        if sobject == "OpportunityHistory":
            stamp = ("CreatedDate", "SystemModstamp")
        if deleted_at is not None and deleted_at < self.end:
            changes = [c for c in changes if c[0] < deleted_at] + [
                (deleted_at, {"IsDeleted": True})
            ]
            self.defects["deleted_records"][f"salesforce.{sobject}"] += 1
        rows = self._versions(base, changes, stamp, custom)
        self._pending[f"salesforce/{sobject}"].extend(rows)
        return rows
