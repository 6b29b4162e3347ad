"""Every model with a state field, one module per process. States change only through
``services.transitions.transition_run``.

Transition bodies touch only their own row; credit, notices and follow-on transitions are the
calling service's explicit side effects, inside the runner's transaction. The app label and the
migrations are those of the single module this package replaced: everything is re-exported here.
"""

from .clock import DemoClockStep
from .complaints import Challenge, ServiceComplaint
from .credit import CreditCase, Objection, RepairRequest, WarningWithdrawal
from .delivery import Engagement, Payment, PaymentCommand, Rating
from .dormancy import DormancyPrompt
from .identity import LEGACY_METHOD, IdentityVerification
from .inspection import InspectionPlan, InspectionTarget, Inspector
from .log import TransitionLog
from .membership import Membership
from .notifications import Notification, NotificationDelivery, NotificationPreference
from .procurement import AvoidEntry, CodeCounter, Project, ProjectQualification
from .reports import MonthlyReport
from .risk import RiskFlag
from .selection import ProposalMark, SignUp
from .uploads import contract_upload_to, evidence_upload_to

__all__ = [
    "AvoidEntry",
    "Challenge",
    "CodeCounter",
    "CreditCase",
    "DemoClockStep",
    "DormancyPrompt",
    "Engagement",
    "IdentityVerification",
    "InspectionPlan",
    "InspectionTarget",
    "Inspector",
    "LEGACY_METHOD",
    "Membership",
    "MonthlyReport",
    "Notification",
    "NotificationDelivery",
    "NotificationPreference",
    "Objection",
    "Payment",
    "PaymentCommand",
    "Project",
    "ProjectQualification",
    "ProposalMark",
    "Rating",
    "RepairRequest",
    "RiskFlag",
    "ServiceComplaint",
    "SignUp",
    "TransitionLog",
    "WarningWithdrawal",
    "contract_upload_to",
    "evidence_upload_to",
]
