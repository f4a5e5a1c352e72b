"""Each channel's true incremental contribution to the demo world's conversions.

The generator draws whether a person becomes an opportunity from a propensity it knows exactly
(truth/channels.json): p = sigmoid(b_i + sum over channels c of e_c * log(1 + n_ic)), with b_i
the person's intercept, fit and intent terms, e_c the channel's true effect and n_ic the person's
touches in channel c (truth/touches). Channels interact through the sigmoid, so "the part of a
conversion a channel caused" needs a rule: here, the Shapley value of the true propensity over the
converter's channels (the rule the data-driven attribution model applies to its estimate).

For a converter i with channels N, v(S) = p_i(S) - p_i({}) is the rise of its true propensity
from the touches of the channels in S alone. Its Shapley values phi_ic add up to
p_i(N) - p_i({}); divided by p_i(N) they are the expected part of that conversion each channel
caused, and p_i({}) / p_i(N) is the part that would have happened without any touch (fit and
intent alone). Summed over the converters of a conversion type they are the channel's
incremental conversions; each channel's share of their total is what an attribution model's
channel shares are scored against (bench/bench_attribution_truth.py). `pipeline` counts every
person who became an opportunity, `revenue` those whose opportunity was won (winning depends on
fit alone, not on touches).

Written to truth/channel_contributions.csv, one row per conversion type and generator channel,
with the channel's name in the warehouse and its ad platform.
"""

from __future__ import annotations

import csv
import json
from math import factorial
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

OUTPUT = "channel_contributions.csv"

# The channel each generator channel lands in once the warehouse has classified its touches
# (seeds/channel_mapping.csv and int_touchpoints_unioned).
WAREHOUSE_CHANNELS: dict[str, str] = {
    "paid_search": "Paid Search",
    "paid_social_meta": "Paid Social",
    "paid_social_linkedin": "Paid Social",
    "organic_search": "Organic Search",
    "direct": "Direct",
    "referral": "Referral",
    "email": "Email",
    "events_webinars": "Events and Webinars",
    "content_syndication": "Content Syndication",
}
COLUMNS = (
    "conversion_type",
    "channel",
    "platform",
    "warehouse_channel",
    "warehouse_attribution_channel",
    "conversions",
    "incremental_conversions",
    "share",
)


def shapley_of_propensity(
    base: np.ndarray, contributions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact Shapley values of v(S) = sigmoid(base + sum over S of contributions) - sigmoid(base).

    `base`: (people,) log-odds without any touch; `contributions`: (people, channels) each
    channel's term of the log-odds (0 for a channel the person never touched: a null player, which
    gets 0 and leaves the others' values as in the game over the channels touched). Returns
    (phi of shape (people, channels), p(N) of shape (people,)).
    """
    people, size = contributions.shape
    masks = np.arange(1 << size)
    members = (masks[:, None] >> np.arange(size)[None, :]) & 1
    values = 1.0 / (1.0 + np.exp(-(base[:, None] + contributions @ members.T)))
    sizes = members.sum(axis=1)
    weights = np.array(
        [factorial(k) * factorial(size - k - 1) / factorial(size) for k in range(size)]
    )
    phi = np.zeros((people, size))
    for bit in range(size):
        without = masks[(masks >> bit & 1) == 0]
        phi[:, bit] = (values[:, without | 1 << bit] - values[:, without]) @ weights[sizes[without]]
    return phi, values[:, -1]


def channel_contributions(world: Path) -> list[dict[str, object]]:
    """Compute the rows of truth/channel_contributions.csv from the world's truth files."""
    truth = world / "truth"
    spec = json.loads((truth / "channels.json").read_text())
    channels = sorted(spec["channels"])
    effects = np.array([spec["channels"][name]["true_effect"] for name in channels])
    people = pq.read_table(
        truth / "people.parquet",
        columns=["person_id", "fit", "intent", "became_opportunity", "is_won"],
    ).to_pydict()
    converted = np.array(people["became_opportunity"], dtype=bool)
    person_ids = np.array(people["person_id"], dtype=np.int64)[converted]
    position = {int(person): index for index, person in enumerate(person_ids)}
    counts = np.zeros((len(person_ids), len(channels)))
    column = {name: index for index, name in enumerate(channels)}
    touches = pq.read_table(truth / "touches.parquet", columns=["person_id", "channel"]).to_pydict()
    for person, channel in zip(touches["person_id"], touches["channel"], strict=True):
        row = position.get(person)
        if row is not None:
            counts[row, column[channel]] += 1
    base = (
        spec["intercept"]
        + spec["fit_coefficient"] * np.array(people["fit"])[converted]
        + spec["intent_coefficient"] * np.array(people["intent"])[converted]
    )
    phi, propensity = shapley_of_propensity(base, effects[None, :] * np.log1p(counts))
    caused = phi / propensity[:, None]
    won = np.array(people["is_won"], dtype=bool)[converted]
    rows: list[dict[str, object]] = []
    for conversion_type, selected in (("pipeline", np.ones(len(won), bool)), ("revenue", won)):
        totals = caused[selected].sum(axis=0)
        grand = totals.sum()
        for index, name in enumerate(channels):
            platform = spec["channels"][name]["platform"]
            warehouse = WAREHOUSE_CHANNELS[name]
            keyed = f"{warehouse} / {platform}" if platform else warehouse
            rows.append(
                {
                    "conversion_type": conversion_type,
                    "channel": name,
                    "platform": platform or "",
                    "warehouse_channel": warehouse,
                    "warehouse_attribution_channel": keyed,
                    "conversions": int(selected.sum()),
                    "incremental_conversions": round(float(totals[index]), 9),
                    "share": round(float(totals[index] / grand), 9) if grand > 0 else 0.0,
                }
            )
    return rows


def write_channel_contributions(world: Path) -> Path:
    """Write truth/channel_contributions.csv for the world at `world`; return its path."""
    path = world / "truth" / OUTPUT
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(channel_contributions(world))
    return path


def read_channel_contributions(world: Path) -> list[dict[str, object]]:
    """Read truth/channel_contributions.csv back, numbers as numbers."""
    with (world / "truth" / OUTPUT).open(newline="") as handle:
        return [
            {
                **row,
                "conversions": int(row["conversions"]),
                "incremental_conversions": float(row["incremental_conversions"]),
                "share": float(row["share"]),
            }
            for row in csv.DictReader(handle)
        ]
