"""The small demo's sites: real cities, real calendars, and each site's own mix of rules."""

from __future__ import annotations

from typing import NamedTuple

from .data import H24, NIGHTS_ONLY, every_day, week

Hours = dict[str, list[list[str]]]


class Req(NamedTuple):
    """A site requirement; `{lead}` in the description is replaced by the lead time in hours."""

    kind: str
    description: str
    lead_time_hours: int = 0
    categories: tuple[str, ...] = ()
    blocking: bool = True
    permitted_hours: Hours | None = None


class SiteDef(NamedTuple):
    """A demo site: where it is, its calendar, hours, clients (by code) and requirements."""

    code: str
    name: str
    kind: str
    region: str
    city: str
    address: str
    lat: float
    lon: float
    time_zone: str
    country: str
    subdivision: str
    hours: Hours
    clients: tuple[str, ...]
    requirements: tuple[Req, ...]
    engineers: int = 4
    shifts: tuple[str, ...] = ()  # shift patterns forced on the first engineers based here


HOSPITAL_HOURS = week([["07:00", "19:00"]], [["09:00", "17:00"]], [["09:00", "17:00"]])
AFTER_HOURS = week([["00:00", "07:00"], ["19:00", "24:00"]], H24, H24)
OUTSIDE_CLINICS = week([["00:00", "07:00"], ["18:00", "24:00"]], H24, H24)
INSTALL_WORK = ("install", "decommission")
PHYSICAL_WORK = ("install", "decommission", "cabling")

# fmt: off
# A hand-laid table: one site per entry, its rules indented beneath it.
SITES: tuple[SiteDef, ...] = (
    SiteDef("lon-dc1", "London Docklands DC1", "data_centre", "EMEA", "London",
            "East India Dock Road, London E14", 51.5110, -0.0030, "Europe/London", "GB", "ENG",
            every_day(H24), ("meridian", "helix", "northgate"), (
                Req("access_request", "Send the Docklands security office an access request at least "
                    "{lead} hours ahead, naming every engineer with photo ID.", 72),
                Req("escort", "Site security escorts every visitor at all times inside the data halls."),
                Req("method_statement", "RAMS (risk assessment and method statement) approved by the "
                    "facility manager {lead} hours before the work.", 48, INSTALL_WORK),
                Req("ppe", "Safety boots and hi-vis in the loading bay and data halls.", 0,
                    PHYSICAL_WORK, blocking=False),
            ), shifts=("days", "weekends")),
    SiteDef("lon-dc2", "London West DC2 (Slough)", "data_centre", "EMEA", "Slough",
            "Bath Road, Slough SL1", 51.5220, -0.6260, "Europe/London", "GB", "ENG",
            every_day(H24), ("northgate", "meridian"), (
                Req("access_request", "Raise an access ticket in the DC2 portal {lead} hours ahead.", 24),
                Req("compliance", "Work on production racks needs an approved change reference on the "
                    "access ticket.", 0, INSTALL_WORK),
                Req("ppe", "Safety boots in the data halls.", 0, PHYSICAL_WORK, blocking=False),
                Req("local_standard", "Label both cable ends to TIA-606-C; blue data, yellow fibre, red "
                    "critical.", 0, ("cabling", "patching"), blocking=False),
            )),
    SiteDef("man-hosp", "Manchester General Hospital", "hospital", "EMEA", "Manchester",
            "Oxford Road, Manchester M13", 53.4630, -2.2270, "Europe/London", "GB", "ENG",
            HOSPITAL_HOURS, ("northgate",), (
                Req("compliance", "Infection prevention and control: bare below the elbows, hand hygiene, "
                    "no work in isolation rooms without the ward IPC lead's sign-off."),
                Req("induction", "Hospital estates induction (fire, IPC, patient areas) before the first "
                    "visit."),
                Req("access_request", "Book the slot with Estates & Facilities {lead} hours ahead; the ward "
                    "manager must agree it.", 48, (*PHYSICAL_WORK, "survey")),
                Req("permitted_hours", "Noisy work only outside clinic hours (weekdays before 07:00 and "
                    "after 18:00, weekends any time).", 0, ("install", "cabling"),
                    permitted_hours=OUTSIDE_CLINICS),
            )),
    SiteDef("lds-hosp", "Leeds Infirmary", "hospital", "EMEA", "Leeds",
            "Great George Street, Leeds LS1", 53.8020, -1.5530, "Europe/London", "GB", "ENG",
            week([["07:30", "18:00"]], [["09:00", "13:00"]]), ("northgate",), (
                Req("compliance", "Infection control: HEPA-filtered dust extraction (class H) for any "
                    "ceiling or wall work.", 0, ("install", "cabling", "survey")),
                Req("escort", "An estates porter escorts engineers in clinical areas.", 0,
                    ("install", "break_fix")),
                Req("access_request", "Notify the estates helpdesk {lead} hours ahead.", 24),
                Req("local_standard", "Trust cabling standard: Cat6A LSZH, patch leads colour-coded by "
                    "VLAN.", 0, ("cabling", "patching"), blocking=False),
            ), engineers=3),
    SiteDef("dub-office", "Atlas Retail Dublin Office", "office", "EMEA", "Dublin",
            "Sir John Rogerson's Quay, Dublin 2", 53.3460, -6.2400, "Europe/Dublin", "IE", "",
            week([["08:30", "17:30"]]), ("atlas",), (
                Req("access_request", "Reception needs visitor names {lead} hours ahead.", 24),
                Req("method_statement", "The landlord requires a method statement for riser work "
                    "{lead} hours ahead.", 120, ("install", "cabling")),
            ), engineers=3),
    SiteDef("ams-colo", "Amsterdam Science Park Colo", "colocation", "EMEA", "Amsterdam",
            "Science Park 610, Amsterdam", 52.3560, 4.9530, "Europe/Amsterdam", "NL", "",
            week([["07:00", "19:00"]], [["09:00", "13:00"]]), ("helix", "meridian"), (
                Req("security_clearance", "Cage access only for engineers on the client's "
                    "security-cleared list (background check)."),
                Req("access_request", "Register the visit in the colo customer portal {lead} hours ahead; "
                    "biometric enrolment on the first visit.", 24),
                Req("ppe", "Safety shoes in the loading dock.", 0, INSTALL_WORK, blocking=False),
            )),
    SiteDef("fra-dc", "Frankfurt Ostend DC", "data_centre", "EMEA", "Frankfurt",
            "Hanauer Landstraße, Frankfurt am Main", 50.1120, 8.7230, "Europe/Berlin", "DE", "HE",
            every_day(H24), ("helix", "meridian"), (
                Req("induction", "Site safety induction (Sicherheitsunterweisung), renewed yearly, before "
                    "any work."),
                Req("permitted_hours", "Only night work: 22:00 to 06:00 site time, every day.", 0,
                    permitted_hours=NIGHTS_ONLY),
                Req("access_request", "Access request to the operator {lead} hours ahead.", 48),
            ), shifts=("nights", "nights")),
    SiteDef("nyc-dc", "New York Hudson DC", "data_centre", "AMER", "New York",
            "60 Hudson Street, New York, NY", 40.7177, -74.0085, "America/New_York", "US", "NY",
            every_day(H24), ("meridian", "atlas"), (
                Req("access_request", "Work authorization submitted {lead} hours ahead.", 48),
                Req("method_statement", "MOP (method of procedure) reviewed by facility operations {lead} "
                    "hours ahead.", 72, INSTALL_WORK),
                Req("ppe", "Arc-flash PPE for any work near PDUs or busways.", 0, ("install",)),
                Req("compliance", "SOC 2: media leaves the building only after on-site shredding, logged.",
                    0, ("decommission",)),
            ), shifts=("days", "weekends")),
    SiteDef("nyc-office", "Meridian Bank Midtown Office", "office", "AMER", "New York",
            "Avenue of the Americas, New York, NY", 40.7549, -73.9840, "America/New_York", "US", "NY",
            week([["07:00", "19:00"]]), ("meridian",), (
                Req("access_request", "Building security needs a certificate of insurance and the visitor "
                    "list {lead} hours ahead.", 24),
                Req("permitted_hours", "Trading floor: disruptive work only outside trading hours.", 0,
                    ("install", "cabling"), permitted_hours=AFTER_HOURS),
                Req("escort", "Meridian desk-side IT escorts engineers on the trading floor.", 0,
                    ("break_fix", "patching")),
            ), engineers=3),
    SiteDef("chi-colo", "Chicago Cermak Colo", "colocation", "AMER", "Chicago",
            "350 East Cermak Road, Chicago, IL", 41.8532, -87.6189, "America/Chicago", "US", "IL",
            every_day(H24), ("helix", "atlas", "orbit"), (
                Req("access_request", "Add the engineer to the cage access list {lead} hours ahead.", 12),
                Req("local_standard", "Cross-connects are made only by colo staff; order them, do not touch "
                    "the meet-me room.", 0, ("cabling", "patching")),
                Req("ppe", "Closed-toe shoes on the data floor.", 0, blocking=False),
            )),
    SiteDef("tor-hosp", "Toronto Lakeshore Hospital", "hospital", "AMER", "Toronto",
            "University Avenue, Toronto, ON", 43.6590, -79.3880, "America/Toronto", "CA", "ON",
            HOSPITAL_HOURS, ("northgate",), (
                Req("compliance", "IPAC: a construction-risk assessment (CSA Z317.13) for any ceiling or "
                    "wall work.", 0, ("install", "cabling")),
                Req("induction", "Contractor orientation with Facilities before the first visit."),
                Req("access_request", "Facilities work request {lead} hours ahead.", 48),
                Req("escort", "Clinical engineering escorts engineers in patient-care areas.", 0,
                    ("break_fix",)),
            )),
    SiteDef("sao-dc", "São Paulo Tamboré DC", "data_centre", "AMER", "Barueri",
            "Alameda Araguaia, Barueri, SP", -23.5010, -46.8370, "America/Sao_Paulo", "BR", "SP",
            every_day(H24), ("helix", "atlas"), (
                Req("access_request", "Gatehouse list with full name and document number {lead} hours "
                    "ahead.", 96),
                Req("induction", "Safety induction (NR-10 awareness) on the first visit."),
                Req("local_standard", "Structured cabling to ABNT NBR 14565.", 0, ("cabling",),
                    blocking=False),
            )),
    SiteDef("blr-dc", "Bengaluru Whitefield DC", "data_centre", "APAC", "Bengaluru",
            "ITPL Main Road, Whitefield, Bengaluru", 12.9698, 77.7500, "Asia/Kolkata", "IN", "KA",
            every_day(H24), ("orbit", "helix"), (
                Req("access_request", "Access request to the DC NOC {lead} hours ahead.", 48),
                Req("security_clearance", "Police verification certificate on file for install and "
                    "decommission work.", 0, INSTALL_WORK),
                Req("ppe", "Safety shoes and ESD wrist strap on the data floor.", 0, PHYSICAL_WORK),
                Req("method_statement", "Method statement to the DC manager {lead} hours ahead.", 24,
                    ("install",)),
            )),
    SiteDef("bom-office", "Orbit Logistics Mumbai Office", "office", "APAC", "Mumbai",
            "Bandra Kurla Complex, Mumbai", 19.0660, 72.8650, "Asia/Kolkata", "IN", "MH",
            week([["09:30", "18:30"]], [["09:30", "18:30"]]), ("orbit", "atlas"), (
                Req("access_request", "Visitor pass requested {lead} hours ahead.", 24),
                Req("local_standard", "Gate pass for every item entering or leaving (returnable or "
                    "non-returnable).", 0, INSTALL_WORK, blocking=False),
            ), engineers=3),
    SiteDef("sin-colo", "Singapore Tai Seng Colo", "colocation", "APAC", "Singapore",
            "Tai Seng Drive, Singapore", 1.3350, 103.8880, "Asia/Singapore", "SG", "",
            week([["09:00", "18:00"]]), ("meridian", "helix", "orbit"), (
                Req("security_clearance", "Cage access only for engineers with the operator's security "
                    "clearance."),
                Req("access_request", "Access request in the operator portal {lead} hours ahead.", 24),
                Req("escort", "Operator staff escort install and decommission work.", 0, INSTALL_WORK),
            )),
    SiteDef("syd-hosp", "Sydney Harbour Hospital", "hospital", "APAC", "Sydney",
            "Missenden Road, Camperdown NSW", -33.8890, 151.1830, "Australia/Sydney", "AU", "NSW",
            HOSPITAL_HOURS, ("northgate",), (
                Req("compliance", "Infection prevention and control: NSW Health contractor hygiene rules "
                    "in all clinical areas."),
                Req("induction", "Hospital contractor induction before the first visit."),
                Req("permitted_hours", "Install and cabling work only outside day-surgery hours.", 0,
                    PHYSICAL_WORK, permitted_hours=OUTSIDE_CLINICS),
                Req("method_statement", "SWMS (safe work method statement) with the booking.", 0,
                    ("install",)),
            )),
    SiteDef("syd-dc", "Sydney Alexandria DC", "data_centre", "APAC", "Sydney",
            "Bourke Road, Alexandria NSW", -33.9100, 151.1930, "Australia/Sydney", "AU", "NSW",
            every_day(H24), ("helix", "orbit", "northgate"), (
                Req("induction", "Data-centre safety induction, renewed every two years."),
                Req("ppe", "Hi-vis and safety boots in the loading dock and plant rooms.", 0,
                    INSTALL_WORK, blocking=False),
                Req("method_statement", "SWMS to the facility manager {lead} hours ahead.", 48,
                    INSTALL_WORK),
                Req("access_request", "Access request {lead} hours ahead.", 24),
            )),
    SiteDef("tyo-dc", "Tokyo Otemachi DC", "data_centre", "APAC", "Tokyo",
            "Otemachi, Chiyoda-ku, Tokyo", 35.6870, 139.7660, "Asia/Tokyo", "JP", "",
            every_day(H24), ("meridian",), (
                Req("access_request", "Entry application to the operator {lead} hours (5 days) ahead.", 120),
                Req("escort", "Operator staff escort every visit."),
                Req("local_standard", "Cable labels in Japanese and English to the operator's labelling "
                    "standard.", 0, ("cabling", "patching"), blocking=False),
            ), shifts=("days", "weekends")),
)
# fmt: on
