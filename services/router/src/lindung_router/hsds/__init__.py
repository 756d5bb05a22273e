"""The provider directory as Open Referral HSDS 3.1: read, validated, mapped, written, served."""

from .catalogue import Catalogue, RecordFault, catalogue_of, services_in
from .spec import HSDS_VERSION
from .tables import read_tables, write_tables

__all__ = [
    "HSDS_VERSION",
    "Catalogue",
    "RecordFault",
    "catalogue_of",
    "read_tables",
    "services_in",
    "write_tables",
]
