"""Agency self-registration (the signed-in landing page, /me/, is the workspace in workflows)."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import services
from .errors import ApplicationError
from .forms import AgencyRegistrationForm


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
                username=data["uscc"],  # the login name is the USCC: choosing one would reveal who exists
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
            messages.success(
                request,
                _("机构账号已开通，登录名为本机构的统一社会信用代码 %(uscc)s。下一步：填写入驻申请并签署信用承诺书。")
                % {"uscc": agency.uscc},
            )
            return redirect("dashboard")
    return render(request, "marketplace/public_agency_register.html", {"form": form})
