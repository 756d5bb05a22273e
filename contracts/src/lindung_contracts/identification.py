"""What an agency reports when it identifies a child, and what intake makes of it."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Final, Self

from pydantic import ConfigDict, Field, model_validator

from ._base import (
    AgencyId,
    CaseId,
    ContractModel,
    Distinct,
    Instant,
    LanguageCode,
    Payload,
    stated,
)

__all__ = [
    "ADULT_AGE",
    "Accompaniment",
    "BestInterestOverride",
    "CaseOpened",
    "ChildProfile",
    "Consent",
    "ConsentGiver",
    "DocumentKind",
    "ExploitationIndicator",
    "FieldError",
    "Gender",
    "HowIdentified",
    "Identification",
    "IdentificationFacts",
    "IdentificationRejected",
    "IdentificationReported",
    "IdentityDocument",
    "ImmediateRisk",
    "Location",
    "MalaysianState",
    "NationalityStatus",
    "OfficerContact",
    "PersonalDetails",
    "SharingCategory",
    "Situation",
]

ADULT_AGE = 18


class Gender(StrEnum):
    """Gender as recorded by the identifying officer."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class NationalityStatus(StrEnum):
    """Legal status: decides whether UNHCR is referred."""

    CITIZEN = "citizen"
    DOCUMENTED_MIGRANT = "documented_migrant"
    UNDOCUMENTED = "undocumented"
    REFUGEE = "refugee"
    ASYLUM_SEEKER = "asylum_seeker"
    STATELESS = "stateless"
    UNKNOWN = "unknown"


class ExploitationIndicator(StrEnum):
    """Trafficking indicators seen at identification."""

    SEXUAL_EXPLOITATION = "sexual_exploitation"
    SEXUAL_VIOLENCE = "sexual_violence"
    FORCED_LABOUR = "forced_labour"
    FORCED_OR_CHILD_MARRIAGE = "forced_or_child_marriage"
    DOMESTIC_SERVITUDE = "domestic_servitude"
    FORCED_BEGGING = "forced_begging"
    FORCED_CRIMINALITY = "forced_criminality"
    ORGAN_REMOVAL = "organ_removal"
    OTHER = "other"


class Location(StrEnum):
    """Where the child is now."""

    IMMIGRATION_DETENTION = "immigration_detention"
    POLICE_LOCKUP = "police_lockup"
    HOSPITAL = "hospital"
    SHELTER = "shelter"
    FAMILY = "family"
    WORKPLACE = "workplace"
    COMMUNITY = "community"
    UNKNOWN = "unknown"


class HowIdentified(StrEnum):
    """How the child came to the agency's attention."""

    RAID = "raid"
    HOSPITAL = "hospital"
    SCHOOL = "school"
    HOTLINE = "hotline"
    SELF_REFERRAL = "self_referral"
    BORDER = "border"
    OTHER = "other"


class Accompaniment(StrEnum):
    """Whether an adult responsible for the child is with them."""

    ACCOMPANIED = "accompanied"  # with a parent or legal guardian
    UNACCOMPANIED = "unaccompanied"  # no adult at all
    SEPARATED = "separated"  # with an adult who is not a parent or legal guardian


class ImmediateRisk(StrEnum):
    """Risks seen at identification that cannot wait."""

    INJURIES = "injuries"
    MEDICAL_URGENCY = "medical_urgency"
    PREGNANCY = "pregnancy"
    SELF_HARM = "self_harm"
    PURSUED_BY_EXPLOITERS = "pursued_by_exploiters"


class MalaysianState(StrEnum):
    """State or federal territory where the child is now: decides which providers serve."""

    JOHOR = "johor"
    KEDAH = "kedah"
    KELANTAN = "kelantan"
    MELAKA = "melaka"
    NEGERI_SEMBILAN = "negeri_sembilan"
    PAHANG = "pahang"
    PENANG = "penang"
    PERAK = "perak"
    PERLIS = "perlis"
    SABAH = "sabah"
    SARAWAK = "sarawak"
    SELANGOR = "selangor"
    TERENGGANU = "terengganu"
    KUALA_LUMPUR = "kuala_lumpur"
    LABUAN = "labuan"
    PUTRAJAYA = "putrajaya"


# JSON Schema's words for `_presumed_minor`: an age of 18 or more needs `age_disputed`.
_PRESUMED_MINOR: Final = {
    "if": {
        "properties": {"age_years": {"type": "integer", "minimum": ADULT_AGE}},
        "required": ["age_years"],
    },
    "then": {"properties": {"age_disputed": {"const": True}}, "required": ["age_disputed"]},
}


class ChildProfile(ContractModel):
    """The child, without anything that identifies them personally."""

    model_config = ConfigDict(json_schema_extra=stated(_PRESUMED_MINOR))

    age_years: int | None = Field(
        default=None,
        ge=0,
        le=30,
        description="Estimated age in whole years; null when unknown (treated as a child). "
        "18 or more only with `age_disputed`.",
    )
    age_disputed: bool = Field(
        default=False,
        description="Age is disputed: the child is treated as a child until determined "
        "otherwise (Council of Europe Convention art. 10(3)).",
    )
    gender: Gender = Field(description="Gender as recorded.")
    nationality_status: NationalityStatus = Field(description="Legal status.")
    languages: tuple[LanguageCode, ...] = Field(
        default=(), max_length=10, description="Languages the child speaks, best first."
    )
    officer_age_estimate_years: int | None = Field(
        default=None,
        ge=0,
        le=30,
        description="The identifying officer's own estimate of the child's age, beside the "
        "age claimed (`age_years`); null when the officer made none.",
        examples=[13],
    )
    accompaniment: Accompaniment | None = Field(
        default=None,
        description="Accompanied by a parent or legal guardian, unaccompanied, or "
        "separated (with an adult who is neither); null when not known.",
        examples=["separated"],
    )

    @model_validator(mode="after")
    def _presumed_minor(self) -> Self:
        if self.age_years is not None and self.age_years >= ADULT_AGE and not self.age_disputed:
            msg = (
                f"age_years is {ADULT_AGE} or more: Lindung refers children; set age_disputed "
                "when the age is not established (the child is then treated as a child)"
            )
            raise ValueError(msg)
        return self


class Situation(ContractModel):
    """The circumstances that decide which services are needed and how urgently."""

    indicators: Annotated[tuple[ExploitationIndicator, ...], Distinct()] = Field(
        default=(), max_length=len(ExploitationIndicator), description="Indicators seen."
    )
    sexual_violence_at: Instant | None = Field(
        default=None,
        description="When the most recent sexual violence happened, if known: starts the "
        "72 h post-exposure prophylaxis clock.",
    )
    how_identified: HowIdentified | None = Field(
        default=None,
        description="How the child came to the agency's attention; null when not recorded.",
        examples=["raid"],
    )
    immediate_risks: Annotated[tuple[ImmediateRisk, ...], Distinct()] = Field(
        default=(),
        max_length=len(ImmediateRisk),
        description="Risks that cannot wait: injuries, medical urgency, pregnancy, self-harm, "
        "being pursued by the exploiters.",
        examples=[["injuries", "pregnancy"]],
    )
    location: Location = Field(description="Where the child is now.")
    state: MalaysianState = Field(description="State or federal territory the child is in.")
    district: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]{1,62}$",
        description="District (daerah) or town the child is in, as the provider directory "
        "names it; providers serving it are asked before the rest of the state.",
        examples=["petaling"],
    )
    safe_place_tonight: bool = Field(
        default=False,
        description="The child has a safe place to sleep tonight. Absent: not known, and "
        "treated as none (the shelter and the child protector are asked urgently).",
    )
    court_date_pending: bool = Field(
        default=False, description="A court date or protection order hearing is pending."
    )
    interview_scheduled: bool = Field(
        default=False, description="An interview with the child is scheduled."
    )
    interpreter_requested: bool = Field(
        default=False, description="The agency or the child asked for an interpreter."
    )
    agency_languages: tuple[LanguageCode, ...] = Field(
        default=("ms", "en"),
        max_length=10,
        description="Languages the referring officers speak.",
    )


class SharingCategory(StrEnum):
    """What the child's information may be shared for, one consent each."""

    SHELTER = "shelter"
    HEALTH = "health"
    LEGAL_AID = "legal_aid"
    UNHCR = "unhcr"
    INTERPRETATION = "interpretation"
    PSYCHOSOCIAL = "psychosocial"


class ConsentGiver(StrEnum):
    """Who gave the consent."""

    CHILD = "child"
    PARENT_OR_GUARDIAN = "parent_or_guardian"
    CHILD_PROTECTOR = "child_protector"


class BestInterestOverride(ContractModel):
    """A child protection officer decided sharing is in the child's best interest."""

    officer: str = Field(
        min_length=1,
        max_length=100,
        description="The child protection officer's name or service number.",
        examples=["PPKM/SGR/0412"],
    )
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why sharing without consent is in the child's best interest.",
        examples=["Child too young to consent; no guardian traceable; urgent shelter needed."],
    )


# JSON Schema's words for `_given_by_whom`: a category consented to needs `given_by`.
_GIVEN_BY_WHOM: Final = {
    "if": {"properties": {"categories": {"minItems": 1}}, "required": ["categories"]},
    "then": {"properties": {"given_by": {"not": {"type": "null"}}}, "required": ["given_by"]},
}


class Consent(ContractModel):
    """Consent to share the child's information with providers, per category."""

    model_config = ConfigDict(json_schema_extra=stated(_GIVEN_BY_WHOM))

    categories: Annotated[tuple[SharingCategory, ...], Distinct()] = Field(
        default=(),
        description="The categories consented to, each once; a provider of another "
        "category reads nothing about the child but the service asked of it.",
        examples=[["shelter", "health"]],
    )
    given_by: ConsentGiver | None = Field(
        default=None, description="Who consented; required when any category is consented."
    )
    best_interest_override: BestInterestOverride | None = Field(
        default=None,
        description="Sharing for every category without (or beyond) consent, decided by a "
        "child protection officer, with the reason.",
    )

    @model_validator(mode="after")
    def _given_by_whom(self) -> Self:
        if self.categories and self.given_by is None:
            raise ValueError("given_by is required when categories are consented to")
        return self


class DocumentKind(StrEnum):
    """A kind of identity document."""

    PASSPORT = "passport"
    MYKAD = "mykad"  # Malaysian identity card
    MYKID = "mykid"  # Malaysian child identity card
    BIRTH_CERTIFICATE = "birth_certificate"
    UNHCR_CARD = "unhcr_card"  # UNHCR card or asylum-seeker certificate
    WORK_PERMIT = "work_permit"
    OTHER = "other"


class IdentityDocument(ContractModel):
    """One identity document the child holds or held."""

    kind: DocumentKind = Field(description="What kind of document.", examples=["unhcr_card"])
    number: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$",
        description="The document's number as printed; spaces, dots, slashes and hyphens "
        "are ignored when cases are linked by it.",
        examples=["MYS-17C01234"],
    )
    issuing_country: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="ISO 3166-1 alpha-3 code of the issuing country; null for UNHCR.",
        examples=["MMR"],
    )


class OfficerContact(ContractModel):
    """The identifying officer, so the provider can reach them."""

    name: str = Field(
        min_length=1, max_length=100, description="The officer's name.", examples=["Insp. Aminah"]
    )
    phone: str = Field(
        pattern=r"^\+?[0-9][0-9 ()-]{5,19}$",
        description="A phone number the officer answers.",
        examples=["+60 3-2266 2222"],
    )
    unit: str | None = Field(
        default=None,
        max_length=100,
        description="The officer's unit or office.",
        examples=["D11, IPD Petaling Jaya"],
    )


class PersonalDetails(ContractModel):
    """What identifies the child or the officer: encrypted at rest, never on Kafka.

    Accepted only at `POST /v1/identifications`. Intake encrypts it before it reaches
    the database and gives each provider only what its service needs, with consent.
    """

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The child's name as given.",
        examples=["Aye Aye Mon"],
    )
    date_of_birth: date | None = Field(
        default=None, description="Date of birth as given.", examples=["2012-04-09"]
    )
    documents: tuple[IdentityDocument, ...] = Field(
        default=(),
        max_length=10,
        description="Identity documents, the UNHCR card among them; a second agency "
        "reporting the same document number joins the first agency's case.",
    )
    whereabouts: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Exactly where the child is now, so a shelter can collect them.",
        examples=["Pejabat Kebajikan Masyarakat Daerah Petaling, Jalan Templer"],
    )
    officer: OfficerContact | None = Field(
        default=None, description="The identifying officer and how to reach them."
    )
    narrative: str | None = Field(
        default=None,
        min_length=1,
        max_length=5000,
        description="The officer's account in their own words.",
        examples=["Found at a night market stall at 02:00, working for an adult not family."],
    )


class IdentificationFacts(ContractModel):
    """An identification without personal details: what may travel on the agency topic."""

    agency_reference: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.:-]*$",
        description="The agency's own reference for this identification; sending it again "
        "returns the same case (idempotency).",
    )
    identified_at: Instant = Field(
        description="When the child was identified; legal clocks start here, not on arrival."
    )
    child: ChildProfile = Field(description="The child.")
    situation: Situation = Field(description="Circumstances at identification.")
    consent: Consent | None = Field(
        default=None,
        description="Consent to share, per category, or a best-interest override. Absent: "
        "none given; providers other than the child protector then read nothing about the "
        "child. Kept by intake: no event it publishes carries it.",
    )


class Identification(IdentificationFacts):
    """An agency's identification of a child: the body of `POST /v1/identifications`."""

    personal: PersonalDetails | None = Field(
        default=None,
        description="Name, date of birth, documents, exact whereabouts, the officer's "
        "contact, the narrative: all optional, encrypted at rest, shared only as each "
        "provider's service and the consent allow, and never put on Kafka.",
    )


class IdentificationReported(Payload):
    """An identification published by an agency system straight onto the agency topic."""

    event_type: ClassVar[str] = "org.lindung.identification.reported.v1"
    key_field: ClassVar[str] = "agency_id"
    subject_field: ClassVar[str] = "agency_reference"

    agency_id: AgencyId
    agency_reference: str = Field(
        min_length=1, max_length=64, description="Same as `Identification.agency_reference`."
    )
    identification: IdentificationFacts = Field(
        description="The identification itself, without personal details: those are "
        "accepted only at `POST /v1/identifications`."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_personal_details(cls, data: Any) -> Any:
        identification = data.get("identification") if isinstance(data, dict) else None
        if isinstance(identification, dict) and "personal" in identification:
            msg = (
                "identification.personal is not accepted on Kafka: personal details go only "
                "to POST /v1/identifications"
            )
            raise ValueError(msg)
        return data


class FieldError(ContractModel):
    """One reason an input was refused."""

    field: str = Field(description="Dotted path of the offending field, or `body`.")
    reason: str = Field(description="Why it was refused, in plain words.")


class IdentificationRejected(Payload):
    """An identification from the agency topic that intake refused; a dead letter."""

    event_type: ClassVar[str] = "org.lindung.identification.rejected.v1"
    key_field: ClassVar[str] = "agency_id"
    subject_field: ClassVar[str] = "agency_id"

    agency_id: str = Field(description="Agency id as far as it could be read, else `unknown`.")
    errors: tuple[FieldError, ...] = Field(min_length=1, description="Every reason found.")
    original_topic: str = Field(description="Topic the record was read from.")
    original_partition: int = Field(ge=0, description="Its partition.")
    original_offset: int = Field(ge=0, description="Its offset.")
    original_key_b64: str | None = Field(
        description="Always null: a record's key may hold anything; intake keeps it."
    )
    original_value_b64: str = Field(
        description="Always empty: a refused identification may hold a child's name, and "
        "every agency reads this topic; intake keeps the record whole for replay, and "
        "`original_size` and `original_sha256` identify it for the agency that sent it."
    )
    rejected_at: Instant = Field(description="When intake refused it.")
    original_size: int | None = Field(
        default=None, ge=0, description="Length of the original value in bytes."
    )
    original_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the original value, hex.",
    )


class CaseOpened(Payload):
    """Intake accepted an identification and opened a case."""

    event_type: ClassVar[str] = "org.lindung.case.opened.v1"

    case_id: CaseId
    agency_id: AgencyId
    identified_at: Instant = Field(description="When the child was identified.")
    opened_at: Instant = Field(description="When intake stored the case.")
    child: ChildProfile = Field(description="The child, without personal data.")
    situation: Situation = Field(description="Circumstances at identification.")
