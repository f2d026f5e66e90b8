"""The facts the demo model knows: one record per country, from the npm package countries-list (MIT).

Only countries with a capital are kept (the dataset lists five territories without one). A country's currency is the
first currency the dataset lists (the others are fund codes or second currencies); its main languages are the first
three languages it lists, in the dataset's order.
"""
import json
import os
from dataclasses import dataclass, field

CONTINENT_NAMES = {"AF": "Africa", "AN": "Antarctica", "AS": "Asia", "EU": "Europe", "NA": "North America",
                   "OC": "Oceania", "SA": "South America"}
MAX_LANGUAGES = 3


@dataclass(frozen=True)
class Country:
    code: str           # ISO 3166-1 alpha-2
    name: str           # the dataset's English name: how the model names the country
    aliases: tuple      # other names a user may write (the dataset's "alias" field)
    capital: str
    continent: str      # full name
    currency: str       # full name, e.g. "Euro"
    currency_code: str  # ISO 4217, e.g. "EUR"
    languages: tuple    # full names, at most MAX_LANGUAGES


def load(package_dir):
    """Reads countries.min.json, currencies.all.min.json and languages.all.min.json from an unpacked countries-list."""
    def read(name):
        with open(os.path.join(package_dir, name), encoding="utf-8") as f:
            return json.load(f)
    countries, currencies, languages = read("countries.min.json"), read("currencies.all.min.json"), read("languages.all.min.json")
    out = []
    for code, c in sorted(countries.items()):
        if not c.get("capital") or not c.get("currency") or not c.get("languages"):
            continue
        cur = c["currency"][0]
        out.append(Country(code=code, name=c["name"], aliases=tuple(c.get("alias", ())), capital=c["capital"],
                           continent=CONTINENT_NAMES[c["continent"]], currency=currencies[cur]["name"],
                           currency_code=cur,
                           languages=tuple(languages[l]["name"] for l in c["languages"][:MAX_LANGUAGES])))
    return out


def join_names(names):
    names = list(names)
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def capital_index(countries):
    """capital -> the countries that have it (two capitals are shared: Georgetown and Kingston)."""
    index = {}
    for c in countries:
        index.setdefault(c.capital, []).append(c)
    return index
