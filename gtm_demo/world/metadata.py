"""What the APIs describe of themselves: Salesforce describe, HubSpot properties and pipelines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from gtm_demo.world.model import OPP_LOST, OPP_STAGES, OPP_WON


class ApiMetadata:
    """Part of `World` (the generation run): its methods below."""

    def _write_api_metadata(self) -> None:
        """Write what the APIs describe about themselves: fields, properties, pipelines."""
        from gtm_demo.schema import SCHEMAS

        sf_types = {
            "string": "string",
            "timestamp[ms, tz=UTC]": "datetime",
            "date32[day]": "date",
            "bool": "boolean",
            "int64": "int",
            "double": "percent",
            "decimal128(18, 2)": "currency",
        }
        describe = {}
        for table, schema in SCHEMAS.items():
            if not table.startswith("salesforce/"):
                continue
            sobject = table.split("/")[1]
            fields = []
            for field in schema:
                if field.name.startswith("_"):
                    continue
                kind = (
                    "id"
                    if field.name == "Id"
                    else ("reference" if field.name.endswith("Id") else sf_types[str(field.type)])
                )
                entry = {
                    "name": field.name,
                    "type": kind,
                    "custom": field.name.endswith("__c"),
                    "nillable": field.name not in ("Id", "IsDeleted", "CreatedDate"),
                }
                key = ("salesforce", sobject, field.name)
                if key in self.custom_fields:
                    entry["introduced_at"] = datetime.fromtimestamp(
                        self.custom_fields[key], UTC
                    ).isoformat()
                fields.append(entry)
            describe[sobject] = {"name": sobject, "fields": fields}
        (self.root / "salesforce" / "_describe.json").write_text(
            json.dumps(describe, indent=2) + "\n"
        )
        properties = {}
        for obj in ("contacts", "companies", "deals"):
            props = []
            for field in SCHEMAS[f"hubspot/{obj}"]:
                if field.name.startswith("_") or field.name in ("id", "archived", "archived_at"):
                    continue
                kind = {"string": "string", "bool": "bool"}.get(str(field.type), "number")
                if str(field.type).startswith("timestamp"):
                    kind = "datetime"
                entry = {"name": field.name, "type": kind}
                key = ("hubspot", obj, field.name)
                if key in self.custom_fields:
                    entry["introduced_at"] = datetime.fromtimestamp(
                        self.custom_fields[key], UTC
                    ).isoformat()
                props.append(entry)
            properties[obj] = props
        (self.root / "hubspot" / "_properties.json").write_text(
            json.dumps(properties, indent=2) + "\n"
        )
        stages = [
            {
                "id": s[3],
                "label": s[0],
                "displayOrder": i,
                "metadata": {"isClosed": "false", "probability": str(s[1] / 100)},
            }
            for i, s in enumerate(OPP_STAGES)
        ]
        stages += [
            {
                "id": s[3],
                "label": s[0],
                "displayOrder": len(OPP_STAGES) + i,
                "metadata": {"isClosed": "true", "probability": str(s[1] / 100)},
            }
            for i, s in enumerate((OPP_WON, OPP_LOST))
        ]
        pipelines = [
            {
                "id": "default",
                "label": "Sales Pipeline",
                "displayOrder": 0,
                "archived": False,
                "stages": stages,
            }
        ]
        (self.root / "hubspot" / "_pipelines.json").write_text(
            json.dumps(pipelines, indent=2) + "\n"
        )
