"""One deterministic marketing world that every fake serves from, split by domain.

`core` holds the settings and the dice; `ads` the ad model and the campaign catalogue that every ad
platform's fake adds its slice to; `web` and `crm` what those campaigns' clicks become in web
analytics and in the CRM. The same campaigns show up in each: by id and name on their platform, as
utm_campaign in sessions and in the first touch of contacts and their deals.
"""

from sandbox.world.core import World

__all__ = ["World"]
