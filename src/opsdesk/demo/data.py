"""Static reference data for the demo organisation: regions, clients, catalogue, cities, names."""

from __future__ import annotations

from typing import NamedTuple

DEMO_PASSWORD = "opsdesk-demo"

# Work categories the site requirements (and later work orders) speak of.
WORK_CATEGORIES = (
    "install",
    "decommission",
    "remote_hands",
    "break_fix",
    "cabling",
    "patching",
    "audit",
    "survey",
)


class RegionDef(NamedTuple):
    """A delivery region and its average door-to-door travel speed."""

    code: str
    name: str
    travel_speed_kmh: int


REGIONS = (
    RegionDef("EMEA", "Europe, Middle East and Africa", 45),
    RegionDef("AMER", "Americas", 55),
    RegionDef("APAC", "Asia Pacific", 40),
)


class ClientDef(NamedTuple):
    """A client of the small demo; `sector` picks its service stack."""

    code: str
    name: str
    sector: str
    description: str


CLIENTS = (
    ClientDef(
        "northgate",
        "Northgate Health",
        "health",
        "Hospital group in the UK, Canada and Australia; runs the EPR (electronic patient record).",
    ),
    ClientDef(
        "meridian",
        "Meridian Bank",
        "bank",
        "Retail and investment bank with trading floors in New York, London and Tokyo.",
    ),
    ClientDef(
        "helix", "Helix Cloud", "cloud", "SaaS provider running its platform in colocation cages."
    ),
    ClientDef(
        "atlas", "Atlas Retail", "retail", "Retailer with stores, e-commerce and regional offices."
    ),
    ClientDef(
        "orbit", "Orbit Logistics", "logistics", "Freight and warehousing across Asia Pacific."
    ),
)
SECTOR_SUFFIX = {
    "health": "Health",
    "bank": "Bank",
    "cloud": "Cloud",
    "retail": "Retail",
    "logistics": "Logistics",
}
# fmt: off
# Name stems for the extra clients of the large demo (one stem per copy of the organisation).
CLIENT_STEMS = ("Kestrel", "Summit", "Beacon", "Harbour", "Pinnacle", "Cobalt", "Juniper", "Aurora",
                "Granite", "Lumen", "Vantage", "Sterling", "Cedar", "Falcon", "Solent", "Tamar")
# fmt: on

SKILLS = (
    ("structured-cabling", "Structured cabling"),
    ("fibre-splicing", "Fibre splicing"),
    ("cisco-ios", "Cisco IOS"),
    ("juniper-junos", "Juniper Junos"),
    ("server-hardware", "Server hardware"),
    ("storage", "Storage arrays"),
    ("windows", "Windows Server"),
    ("linux", "Linux"),
    ("clinical-systems", "Clinical systems"),
    ("power-electrical", "Power and electrical"),
    ("audit", "Asset audit"),
    ("project", "Project coordination"),
)

CERTIFICATIONS = (
    ("comptia-a-plus", "CompTIA A+", 36),
    ("ccna", "Cisco CCNA", 36),
    ("cfot", "Certified Fiber Optic Technician", 36),
    ("electrical-safety", "Electrical safety (18th Edition / NFPA 70E)", 12),
    ("cdcp", "Certified Data Centre Professional", 36),
    ("infection-control", "Healthcare infection prevention and control", 12),
)

# Skills engineers at each kind of site tend to have (first ones at higher levels).
SKILLS_BY_KIND = {
    "data_centre": (
        "server-hardware",
        "storage",
        "linux",
        "structured-cabling",
        "power-electrical",
        "cisco-ios",
        "juniper-junos",
        "fibre-splicing",
    ),
    "colocation": (
        "structured-cabling",
        "fibre-splicing",
        "juniper-junos",
        "server-hardware",
        "cisco-ios",
        "linux",
    ),
    "hospital": (
        "clinical-systems",
        "windows",
        "structured-cabling",
        "cisco-ios",
        "audit",
        "server-hardware",
    ),
    "office": ("windows", "structured-cabling", "cisco-ios", "audit", "project", "linux"),
}
CERTS_BY_SKILL = {
    "structured-cabling": "comptia-a-plus",
    "fibre-splicing": "cfot",
    "cisco-ios": "ccna",
    "juniper-junos": "ccna",
    "server-hardware": "comptia-a-plus",
    "storage": "cdcp",
    "windows": "comptia-a-plus",
    "linux": "comptia-a-plus",
    "clinical-systems": "infection-control",
    "power-electrical": "electrical-safety",
    "audit": "cdcp",
    "project": "cdcp",
}

H24 = [["00:00", "24:00"]]
NIGHT_START = [["22:00", "24:00"]]
NIGHT_BOTH = [["00:00", "06:00"], ["22:00", "24:00"]]
NIGHT_END = [["00:00", "06:00"]]


def week(
    weekdays: list[list[str]],
    sat: list[list[str]] | None = None,
    sun: list[list[str]] | None = None,
) -> dict[str, list[list[str]]]:
    """A weekly pattern: the same intervals Monday to Friday, optional weekend intervals."""
    days = {d: [list(p) for p in weekdays] for d in ("mon", "tue", "wed", "thu", "fri")}
    return {**days, "sat": [list(p) for p in sat or []], "sun": [list(p) for p in sun or []]}


def every_day(intervals: list[list[str]]) -> dict[str, list[list[str]]]:
    """The same intervals on all seven days."""
    return week(intervals, intervals, intervals)


NIGHTS_ONLY = every_day(NIGHT_BOTH)

# Engineers' shift patterns (engineer-local time) and how often each occurs.
SHIFTS: dict[str, dict[str, list[list[str]]]] = {
    "days": week([["08:00", "17:00"]]),
    "early": week([["06:00", "14:00"]]),
    "late": week([["14:00", "22:00"]]),
    "nights": {
        "mon": NIGHT_START,
        "tue": NIGHT_BOTH,
        "wed": NIGHT_BOTH,
        "thu": NIGHT_BOTH,
        "fri": NIGHT_BOTH,
        "sat": NIGHT_END,
        "sun": [],
    },
    "weekends": {
        "mon": [["08:00", "20:00"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [["08:00", "20:00"]],
        "sat": [["08:00", "20:00"]],
        "sun": [["08:00", "20:00"]],
    },
    "four-day": {**week([["07:00", "17:30"]]), "fri": []},
}
SHIFT_WEIGHTS = {"days": 55, "early": 10, "late": 10, "nights": 8, "weekends": 10, "four-day": 7}


class City(NamedTuple):
    """A real city with its zone and public-holiday calendar (for the large demo's extra sites)."""

    code: str
    name: str
    lat: float
    lon: float
    time_zone: str
    country: str
    subdivision: str


CITIES: dict[str, tuple[City, ...]] = {
    "EMEA": (
        City("lon", "London", 51.5074, -0.1278, "Europe/London", "GB", "ENG"),
        City("bhx", "Birmingham", 52.4862, -1.8904, "Europe/London", "GB", "ENG"),
        City("gla", "Glasgow", 55.8642, -4.2518, "Europe/London", "GB", "SCT"),
        City("dub", "Dublin", 53.3498, -6.2603, "Europe/Dublin", "IE", ""),
        City("ams", "Amsterdam", 52.3676, 4.9041, "Europe/Amsterdam", "NL", ""),
        City("fra", "Frankfurt", 50.1109, 8.6821, "Europe/Berlin", "DE", "HE"),
        City("muc", "Munich", 48.1351, 11.5820, "Europe/Berlin", "DE", "BY"),
        City("par", "Paris", 48.8566, 2.3522, "Europe/Paris", "FR", ""),
        City("mad", "Madrid", 40.4168, -3.7038, "Europe/Madrid", "ES", "MD"),
        City("sto", "Stockholm", 59.3293, 18.0686, "Europe/Stockholm", "SE", ""),
        City("waw", "Warsaw", 52.2297, 21.0122, "Europe/Warsaw", "PL", ""),
        City("jnb", "Johannesburg", -26.2041, 28.0473, "Africa/Johannesburg", "ZA", ""),
    ),
    "AMER": (
        City("nyc", "New York", 40.7128, -74.0060, "America/New_York", "US", "NY"),
        City("chi", "Chicago", 41.8781, -87.6298, "America/Chicago", "US", "IL"),
        City("ash", "Ashburn", 39.0438, -77.4874, "America/New_York", "US", "VA"),
        City("dfw", "Dallas", 32.7767, -96.7970, "America/Chicago", "US", "TX"),
        City("sjc", "San Jose", 37.3382, -121.8863, "America/Los_Angeles", "US", "CA"),
        City("sea", "Seattle", 47.6062, -122.3321, "America/Los_Angeles", "US", "WA"),
        City("tor", "Toronto", 43.6532, -79.3832, "America/Toronto", "CA", "ON"),
        City("mtl", "Montreal", 45.5019, -73.5674, "America/Toronto", "CA", "QC"),
        City("sao", "São Paulo", -23.5505, -46.6333, "America/Sao_Paulo", "BR", "SP"),
        City("mex", "Mexico City", 19.4326, -99.1332, "America/Mexico_City", "MX", ""),
    ),
    "APAC": (
        City("blr", "Bengaluru", 12.9716, 77.5946, "Asia/Kolkata", "IN", "KA"),
        City("bom", "Mumbai", 19.0760, 72.8777, "Asia/Kolkata", "IN", "MH"),
        City("sin", "Singapore", 1.3521, 103.8198, "Asia/Singapore", "SG", ""),
        City("syd", "Sydney", -33.8688, 151.2093, "Australia/Sydney", "AU", "NSW"),
        City("mel", "Melbourne", -37.8136, 144.9631, "Australia/Melbourne", "AU", "VIC"),
        City("tyo", "Tokyo", 35.6762, 139.6503, "Asia/Tokyo", "JP", ""),
        City("osa", "Osaka", 34.6937, 135.5023, "Asia/Tokyo", "JP", ""),
        City("hkg", "Hong Kong", 22.3193, 114.1694, "Asia/Hong_Kong", "HK", ""),
        City("akl", "Auckland", -36.8485, 174.7633, "Pacific/Auckland", "NZ", "AUK"),
        City("sel", "Seoul", 37.5665, 126.9780, "Asia/Seoul", "KR", ""),
    ),
}

# fmt: off
FIRST_NAMES = {
    "EMEA": ("Oliver", "Amelia", "Jack", "Isla", "Liam", "Sophie", "Lukas", "Emma", "Daan", "Saoirse",
             "Mateo", "Lena", "Hugo", "Chloé", "Tomasz", "Aisha", "Kwame", "Freya", "Niamh", "Jonas"),
    "AMER": ("James", "Maria", "Michael", "Jennifer", "Carlos", "Ana", "David", "Emily", "Luis",
             "Camila", "Ethan", "Olivia", "Noah", "Sofia", "Marcus", "Gabriela", "Tyler", "Chloe"),
    "APAC": ("Arjun", "Priya", "Wei", "Mei", "Hiroshi", "Yuki", "Rahul", "Ananya", "Jack", "Charlotte",
             "Ravi", "Siti", "Kenji", "Aiko", "Vikram", "Lakshmi", "Min-jun", "Ji-woo", "Tama", "Aroha"),
}
LAST_NAMES = {
    "EMEA": ("Smith", "Jones", "Taylor", "Brown", "Murphy", "Kelly", "Müller", "Schmidt", "de Vries",
             "Jansen", "García", "Martin", "Bernard", "Kowalski", "Nowak", "Lindqvist", "Okafor",
             "Mensah", "Walsh", "Evans", "Patel", "Khan"),
    "AMER": ("Johnson", "Williams", "Rodriguez", "Martinez", "Garcia", "Miller", "Davis", "Wilson",
             "Anderson", "Thomas", "Silva", "Santos", "Oliveira", "Tremblay", "Gagnon", "Roy", "Lee",
             "Nguyen", "Hernandez", "Clark"),
    "APAC": ("Sharma", "Iyer", "Reddy", "Nair", "Tan", "Lim", "Wong", "Chen", "Sato", "Suzuki",
             "Takahashi", "Nguyen", "Wilson", "Thompson", "Kumar", "Rao", "Kim", "Park", "Ngata", "Singh"),
}
# fmt: on
PHONE_PREFIX = {"EMEA": "+44 20 7946", "AMER": "+1 212 555", "APAC": "+61 2 5550"}

ABSENCE_REASONS = ("Annual leave", "Training course", "Sick leave", "Public duty", "Parental leave")
