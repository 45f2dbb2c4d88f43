"""Each sector's service stack: services, where they run, and what they depend on (acyclic)."""

from __future__ import annotations

from typing import NamedTuple

LOW, MEDIUM, HIGH, CRITICAL = 1, 2, 3, 4


class ServiceDef(NamedTuple):
    """A service template; `sites` are small-demo site codes, `depends_on` codes in the same stack."""

    code: str
    name: str
    kind: str
    criticality: int
    sites: tuple[str, ...]
    depends_on: tuple[str, ...] = ()
    description: str = ""


# Listed upstream first: a service depends only on services listed before it, so every
# stack is acyclic by construction (the builder still checks each edge with the rules).
STACKS: dict[str, tuple[ServiceDef, ...]] = {
    "health": (
        ServiceDef("core-switch-dc2", "Core switch DC2", "network", CRITICAL, ("lon-dc2",)),
        ServiceDef("core-switch-dc1", "Core switch DC1", "network", HIGH, ("lon-dc1",)),
        ServiceDef(
            "storage-array",
            "Storage array (DC2)",
            "storage",
            CRITICAL,
            ("lon-dc2",),
            ("core-switch-dc2",),
        ),
        ServiceDef(
            "storage-replica",
            "Storage replica (DC1)",
            "storage",
            HIGH,
            ("lon-dc1",),
            ("core-switch-dc1", "storage-array"),
        ),
        ServiceDef(
            "db-cluster",
            "EPR database cluster",
            "database",
            CRITICAL,
            ("lon-dc2", "lon-dc1"),
            ("storage-array",),
        ),
        ServiceDef(
            "directory",
            "Active Directory",
            "identity",
            HIGH,
            ("lon-dc2", "lon-dc1"),
            ("core-switch-dc2",),
        ),
        ServiceDef(
            "integration-engine",
            "HL7 integration engine",
            "application",
            HIGH,
            ("lon-dc2",),
            ("db-cluster",),
        ),
        ServiceDef(
            "epr",
            "EPR (electronic patient record)",
            "application",
            CRITICAL,
            ("lon-dc2", "lon-dc1"),
            ("db-cluster", "directory", "integration-engine"),
            "The electronic patient record used on every ward.",
        ),
        ServiceDef(
            "pacs",
            "Clinical imaging (PACS)",
            "application",
            HIGH,
            ("lon-dc2", "syd-dc"),
            ("epr", "storage-array"),
        ),
        ServiceDef(
            "lims",
            "Laboratory information system",
            "application",
            HIGH,
            ("lon-dc2",),
            ("epr", "integration-engine"),
        ),
        ServiceDef(
            "e-prescribing",
            "Electronic prescribing",
            "application",
            CRITICAL,
            ("lon-dc2",),
            ("epr",),
        ),
        ServiceDef(
            "hospital-lan",
            "Hospital LAN and clinical Wi-Fi",
            "network",
            HIGH,
            ("man-hosp", "lds-hosp", "tor-hosp", "syd-hosp"),
            ("core-switch-dc2",),
        ),
        ServiceDef(
            "nurse-call",
            "Nurse call integration",
            "application",
            MEDIUM,
            ("man-hosp", "lds-hosp"),
            ("hospital-lan", "integration-engine"),
        ),
    ),
    "bank": (
        ServiceDef("core-network", "Core network", "network", CRITICAL, ("nyc-dc", "lon-dc1")),
        ServiceDef("san", "SAN storage", "storage", CRITICAL, ("nyc-dc",), ("core-network",)),
        ServiceDef(
            "core-db",
            "Core banking database",
            "database",
            CRITICAL,
            ("nyc-dc", "lon-dc2"),
            ("san",),
        ),
        ServiceDef(
            "core-banking",
            "Core banking platform",
            "application",
            CRITICAL,
            ("nyc-dc",),
            ("core-db",),
        ),
        ServiceDef(
            "payments",
            "Payments gateway",
            "application",
            CRITICAL,
            ("nyc-dc", "lon-dc1"),
            ("core-banking",),
        ),
        ServiceDef(
            "online-banking",
            "Online banking",
            "application",
            HIGH,
            ("ams-colo", "sin-colo"),
            ("payments", "core-banking"),
        ),
        ServiceDef(
            "market-data",
            "Market data feed",
            "network",
            HIGH,
            ("tyo-dc", "lon-dc1"),
            ("core-network",),
        ),
        ServiceDef(
            "trading",
            "Trading platform",
            "application",
            CRITICAL,
            ("tyo-dc", "fra-dc"),
            ("market-data", "core-db"),
        ),
        ServiceDef(
            "trading-floor-lan",
            "Trading floor LAN",
            "network",
            HIGH,
            ("nyc-office",),
            ("core-network",),
        ),
    ),
    "cloud": (
        ServiceDef(
            "network-fabric", "Network fabric", "network", CRITICAL, ("ams-colo", "chi-colo")
        ),
        ServiceDef(
            "object-storage",
            "Object storage",
            "storage",
            HIGH,
            ("fra-dc", "sao-dc"),
            ("network-fabric",),
        ),
        ServiceDef(
            "k8s",
            "Kubernetes platform",
            "platform",
            CRITICAL,
            ("ams-colo", "sin-colo"),
            ("network-fabric",),
        ),
        ServiceDef(
            "postgres",
            "Managed PostgreSQL",
            "database",
            CRITICAL,
            ("ams-colo", "chi-colo"),
            ("object-storage", "k8s"),
        ),
        ServiceDef(
            "api-gateway", "API gateway", "application", HIGH, ("ams-colo", "syd-dc"), ("k8s",)
        ),
        ServiceDef(
            "saas-app",
            "Helix workspace (SaaS)",
            "application",
            CRITICAL,
            ("ams-colo", "chi-colo", "sin-colo"),
            ("api-gateway", "postgres"),
        ),
        ServiceDef("monitoring", "Monitoring stack", "platform", MEDIUM, ("lon-dc1",), ("k8s",)),
    ),
    "retail": (
        ServiceDef("sd-wan", "Store SD-WAN", "network", HIGH, ("chi-colo", "dub-office")),
        ServiceDef("erp-db", "ERP database", "database", HIGH, ("nyc-dc",), ("sd-wan",)),
        ServiceDef("erp", "ERP", "application", HIGH, ("nyc-dc",), ("erp-db",)),
        ServiceDef(
            "ecommerce",
            "E-commerce site",
            "application",
            CRITICAL,
            ("chi-colo", "sao-dc"),
            ("erp",),
        ),
        ServiceDef(
            "pos",
            "Point of sale",
            "application",
            CRITICAL,
            ("dub-office", "bom-office"),
            ("sd-wan", "erp"),
        ),
        ServiceDef(
            "office-it", "Office IT", "workplace", LOW, ("dub-office", "bom-office"), ("sd-wan",)
        ),
    ),
    "logistics": (
        ServiceDef("wan", "Regional WAN", "network", HIGH, ("sin-colo", "blr-dc")),
        ServiceDef("storage", "Storage cluster", "storage", HIGH, ("blr-dc",), ("wan",)),
        ServiceDef("wms-db", "Warehouse database", "database", HIGH, ("blr-dc",), ("storage",)),
        ServiceDef(
            "wms",
            "Warehouse management system",
            "application",
            CRITICAL,
            ("blr-dc", "syd-dc"),
            ("wms-db",),
        ),
        ServiceDef(
            "tracking",
            "Shipment tracking",
            "application",
            HIGH,
            ("sin-colo", "chi-colo"),
            ("wms", "wan"),
        ),
        ServiceDef("office-it", "Office IT", "workplace", LOW, ("bom-office",), ("wan",)),
    ),
}
