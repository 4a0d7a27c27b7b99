"""ISO 3166-1 alpha-2 country codes, the EU group, and "did you mean" suggestions.

Scenario files name producer countries and the members of trade blocs by their two-letter ISO
3166-1 alpha-2 codes. This module lets the scenario loader check those codes against the official
list instead of silently accepting a typo, expand the pseudo-member "EU" that a bloc may list, and
offer a suggestion when a code is wrong ("UK" -> "GB", "Chna" -> "CN", "germany" -> "DE").

The table is written out here so that validation needs neither the network nor an extra
dependency. It holds the 249 officially assigned codes with their English short names (after the
iso-codes project's ISO 3166-1 data); user-assigned codes such as "XK" (Kosovo) are not included.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["COUNTRIES", "EU_MEMBERS", "GROUPS", "expand_members", "is_country", "suggest"]

COUNTRIES: dict[str, str] = {
    "AD": "Andorra",
    "AE": "United Arab Emirates",
    "AF": "Afghanistan",
    "AG": "Antigua and Barbuda",
    "AI": "Anguilla",
    "AL": "Albania",
    "AM": "Armenia",
    "AO": "Angola",
    "AQ": "Antarctica",
    "AR": "Argentina",
    "AS": "American Samoa",
    "AT": "Austria",
    "AU": "Australia",
    "AW": "Aruba",
    "AX": "Åland Islands",
    "AZ": "Azerbaijan",
    "BA": "Bosnia and Herzegovina",
    "BB": "Barbados",
    "BD": "Bangladesh",
    "BE": "Belgium",
    "BF": "Burkina Faso",
    "BG": "Bulgaria",
    "BH": "Bahrain",
    "BI": "Burundi",
    "BJ": "Benin",
    "BL": "Saint Barthélemy",
    "BM": "Bermuda",
    "BN": "Brunei Darussalam",
    "BO": "Bolivia, Plurinational State of",
    "BQ": "Bonaire, Sint Eustatius and Saba",
    "BR": "Brazil",
    "BS": "Bahamas",
    "BT": "Bhutan",
    "BV": "Bouvet Island",
    "BW": "Botswana",
    "BY": "Belarus",
    "BZ": "Belize",
    "CA": "Canada",
    "CC": "Cocos (Keeling) Islands",
    "CD": "Congo, Democratic Republic of the",
    "CF": "Central African Republic",
    "CG": "Congo",
    "CH": "Switzerland",
    "CI": "Côte d'Ivoire",
    "CK": "Cook Islands",
    "CL": "Chile",
    "CM": "Cameroon",
    "CN": "China",
    "CO": "Colombia",
    "CR": "Costa Rica",
    "CU": "Cuba",
    "CV": "Cabo Verde",
    "CW": "Curaçao",
    "CX": "Christmas Island",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DE": "Germany",
    "DJ": "Djibouti",
    "DK": "Denmark",
    "DM": "Dominica",
    "DO": "Dominican Republic",
    "DZ": "Algeria",
    "EC": "Ecuador",
    "EE": "Estonia",
    "EG": "Egypt",
    "EH": "Western Sahara",
    "ER": "Eritrea",
    "ES": "Spain",
    "ET": "Ethiopia",
    "FI": "Finland",
    "FJ": "Fiji",
    "FK": "Falkland Islands (Malvinas)",
    "FM": "Micronesia, Federated States of",
    "FO": "Faroe Islands",
    "FR": "France",
    "GA": "Gabon",
    "GB": "United Kingdom",
    "GD": "Grenada",
    "GE": "Georgia",
    "GF": "French Guiana",
    "GG": "Guernsey",
    "GH": "Ghana",
    "GI": "Gibraltar",
    "GL": "Greenland",
    "GM": "Gambia",
    "GN": "Guinea",
    "GP": "Guadeloupe",
    "GQ": "Equatorial Guinea",
    "GR": "Greece",
    "GS": "South Georgia and the South Sandwich Islands",
    "GT": "Guatemala",
    "GU": "Guam",
    "GW": "Guinea-Bissau",
    "GY": "Guyana",
    "HK": "Hong Kong",
    "HM": "Heard Island and McDonald Islands",
    "HN": "Honduras",
    "HR": "Croatia",
    "HT": "Haiti",
    "HU": "Hungary",
    "ID": "Indonesia",
    "IE": "Ireland",
    "IL": "Israel",
    "IM": "Isle of Man",
    "IN": "India",
    "IO": "British Indian Ocean Territory",
    "IQ": "Iraq",
    "IR": "Iran, Islamic Republic of",
    "IS": "Iceland",
    "IT": "Italy",
    "JE": "Jersey",
    "JM": "Jamaica",
    "JO": "Jordan",
    "JP": "Japan",
    "KE": "Kenya",
    "KG": "Kyrgyzstan",
    "KH": "Cambodia",
    "KI": "Kiribati",
    "KM": "Comoros",
    "KN": "Saint Kitts and Nevis",
    "KP": "Korea, Democratic People's Republic of",
    "KR": "Korea, Republic of",
    "KW": "Kuwait",
    "KY": "Cayman Islands",
    "KZ": "Kazakhstan",
    "LA": "Lao People's Democratic Republic",
    "LB": "Lebanon",
    "LC": "Saint Lucia",
    "LI": "Liechtenstein",
    "LK": "Sri Lanka",
    "LR": "Liberia",
    "LS": "Lesotho",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "LY": "Libya",
    "MA": "Morocco",
    "MC": "Monaco",
    "MD": "Moldova, Republic of",
    "ME": "Montenegro",
    "MF": "Saint Martin (French part)",
    "MG": "Madagascar",
    "MH": "Marshall Islands",
    "MK": "North Macedonia",
    "ML": "Mali",
    "MM": "Myanmar",
    "MN": "Mongolia",
    "MO": "Macao",
    "MP": "Northern Mariana Islands",
    "MQ": "Martinique",
    "MR": "Mauritania",
    "MS": "Montserrat",
    "MT": "Malta",
    "MU": "Mauritius",
    "MV": "Maldives",
    "MW": "Malawi",
    "MX": "Mexico",
    "MY": "Malaysia",
    "MZ": "Mozambique",
    "NA": "Namibia",
    "NC": "New Caledonia",
    "NE": "Niger",
    "NF": "Norfolk Island",
    "NG": "Nigeria",
    "NI": "Nicaragua",
    "NL": "Netherlands",
    "NO": "Norway",
    "NP": "Nepal",
    "NR": "Nauru",
    "NU": "Niue",
    "NZ": "New Zealand",
    "OM": "Oman",
    "PA": "Panama",
    "PE": "Peru",
    "PF": "French Polynesia",
    "PG": "Papua New Guinea",
    "PH": "Philippines",
    "PK": "Pakistan",
    "PL": "Poland",
    "PM": "Saint Pierre and Miquelon",
    "PN": "Pitcairn",
    "PR": "Puerto Rico",
    "PS": "Palestine, State of",
    "PT": "Portugal",
    "PW": "Palau",
    "PY": "Paraguay",
    "QA": "Qatar",
    "RE": "Réunion",
    "RO": "Romania",
    "RS": "Serbia",
    "RU": "Russian Federation",
    "RW": "Rwanda",
    "SA": "Saudi Arabia",
    "SB": "Solomon Islands",
    "SC": "Seychelles",
    "SD": "Sudan",
    "SE": "Sweden",
    "SG": "Singapore",
    "SH": "Saint Helena, Ascension and Tristan da Cunha",
    "SI": "Slovenia",
    "SJ": "Svalbard and Jan Mayen",
    "SK": "Slovakia",
    "SL": "Sierra Leone",
    "SM": "San Marino",
    "SN": "Senegal",
    "SO": "Somalia",
    "SR": "Suriname",
    "SS": "South Sudan",
    "ST": "Sao Tome and Principe",
    "SV": "El Salvador",
    "SX": "Sint Maarten (Dutch part)",
    "SY": "Syrian Arab Republic",
    "SZ": "Eswatini",
    "TC": "Turks and Caicos Islands",
    "TD": "Chad",
    "TF": "French Southern Territories",
    "TG": "Togo",
    "TH": "Thailand",
    "TJ": "Tajikistan",
    "TK": "Tokelau",
    "TL": "Timor-Leste",
    "TM": "Turkmenistan",
    "TN": "Tunisia",
    "TO": "Tonga",
    "TR": "Türkiye",
    "TT": "Trinidad and Tobago",
    "TV": "Tuvalu",
    "TW": "Taiwan, Province of China",
    "TZ": "Tanzania, United Republic of",
    "UA": "Ukraine",
    "UG": "Uganda",
    "UM": "United States Minor Outlying Islands",
    "US": "United States",
    "UY": "Uruguay",
    "UZ": "Uzbekistan",
    "VA": "Holy See (Vatican City State)",
    "VC": "Saint Vincent and the Grenadines",
    "VE": "Venezuela, Bolivarian Republic of",
    "VG": "Virgin Islands, British",
    "VI": "Virgin Islands, U.S.",
    "VN": "Viet Nam",
    "VU": "Vanuatu",
    "WF": "Wallis and Futuna",
    "WS": "Samoa",
    "YE": "Yemen",
    "YT": "Mayotte",
    "ZA": "South Africa",
    "ZM": "Zambia",
    "ZW": "Zimbabwe",
}
"""Every officially assigned ISO 3166-1 alpha-2 code mapped to its English short name."""

EU_MEMBERS: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI",
        "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
        "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)  # fmt: skip
"""The 27 member states of the European Union as of 2025."""

GROUPS: dict[str, frozenset[str]] = {"EU": EU_MEMBERS}
"""Pseudo-members a bloc may list, each standing for a set of country codes."""

_CODE_ALIASES: dict[str, str] = {"UK": "GB", "EL": "GR"}
"""Codes in common use that are not the ISO code: "UK" for GB, "EL" (the EU's code) for GR."""

_NAME_ALIASES: dict[str, str] = {
    "bolivia": "BO",
    "iran": "IR",
    "south korea": "KR",
    "laos": "LA",
    "moldova": "MD",
    "north korea": "KP",
    "syria": "SY",
    "taiwan": "TW",
    "tanzania": "TZ",
    "venezuela": "VE",
    "vietnam": "VN",
    "russia": "RU",
    "turkey": "TR",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "cape verde": "CV",
    "swaziland": "SZ",
    "macedonia": "MK",
    "burma": "MM",
    "vatican": "VA",
    "great britain": "GB",
    "britain": "GB",
    "united states of america": "US",
    "usa": "US",
    "democratic republic of the congo": "CD",
    "drc": "CD",
    "european union": "EU",
}
"""Common English names (lower case) that differ from the ISO short name, with their code."""


def is_country(code: str) -> bool:
    """Return whether ``code`` is an officially assigned ISO 3166-1 alpha-2 code (exact case)."""
    return code in COUNTRIES


def expand_members(members: Iterable[str]) -> frozenset[str]:
    """Return ``members`` with each group name (such as "EU") replaced by the group's members.

    Other entries are kept as they are, unchecked; the wildcard "*" is not handled here.
    """
    expanded: set[str] = set()
    for member in members:
        expanded.update(GROUPS.get(member, (member,)))
    return frozenset(expanded)


def suggest(word: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    """Return up to ``n`` codes from ``candidates`` that ``word`` was probably meant to be.

    In order of preference: the ISO code for a common non-ISO code ("UK" -> "GB", "EL" -> "GR");
    the code whose country name equals ``word`` ignoring case ("germany" -> "DE"); codes whose
    country name is close to ``word`` ("Chna" -> "CN"); and codes close to ``word`` upper-cased.
    Closeness is :func:`difflib.get_close_matches` with cutoff 0.6. Returns an empty list when
    nothing is close enough.
    """
    if n <= 0:
        return []
    codes = list(dict.fromkeys(candidates))
    code_set = set(codes)
    key = word.strip()
    upper = key.upper()
    folded = key.casefold()

    names: dict[str, str] = {}  # case-folded name -> code, for candidates only
    for code in codes:
        if code in COUNTRIES:
            names.setdefault(COUNTRIES[code].casefold(), code)
    for alias, code in _NAME_ALIASES.items():
        if code in code_set:
            names.setdefault(alias, code)

    found: list[str] = []
    alias_code = _CODE_ALIASES.get(upper)
    if alias_code is not None and alias_code in code_set:
        found.append(alias_code)
    if folded in names:
        found.append(names[folded])
    found.extend(names[name] for name in difflib.get_close_matches(folded, names, n, 0.6))
    upper_codes = {code.upper(): code for code in codes}
    found.extend(upper_codes[c] for c in difflib.get_close_matches(upper, upper_codes, n, 0.6))
    return list(dict.fromkeys(found))[:n]
