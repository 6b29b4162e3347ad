"""Signed-in landing page and agency self-registration."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import services
from .errors import ApplicationError
from .forms import AgencyRegistrationForm
from .roles import Role, roles_of
from .selectors import agency_acted_for, buyer_unit_acted_for, supervisor_profile_of


@login_required
def dashboard(request):
    """The account's home: its organisation and the work waiting for its roles."""
    roles = roles_of(request.user)
    context = {
        "roles": [Role(r) for r in Role.values if r in roles],
        "agency": agency_acted_for(request.user) if Role.AGENCY in roles else None,
        "buyer_unit": buyer_unit_acted_for(request.user) if Role.BUYER in roles else None,
        "supervisor": supervisor_profile_of(request.user),
    }
    return render(request, "marketplace/account_dashboard.html", context)


def agency_register(request):
    """An agency opens its account with a valid USCC; entry is applied for next."""
    form = AgencyRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agency = services.agency_register(
                uscc=data["uscc"],
                name=data["name"],
                region=data["region"],
                username=data["username"],
                password=data["password1"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                address=data["address"],
                legal_representative=data["legal_representative"],
                categories=data["categories"],
            )
        except ApplicationError as exc:
            exc.form_add(form)
        else:
            login(request, agency.staff.get().user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("机构账号已开通。下一步：填写入驻申请并签署信用承诺书。"))
            return redirect("dashboard")
    return render(request, "marketplace/public_agency_register.html", {"form": form})
