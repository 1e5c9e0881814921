"""The shop's pages: the checkout form post, the demo payment page and the live receipt."""
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from commerce import checkout, payments, selectors
from commerce.models import Order
from commerce.wire import to_wire
from config import learners, throttling
from config.pages import too_many


@login_required
@require_POST
def checkout_page(request: HttpRequest) -> HttpResponse:
    limit, window = throttling.rate("checkout")  # the JSON API's limit, on the same counter's kind
    wait = throttling.hit("checkout-form", str(learners.learner_id(request)), limit, window)
    if wait is not None:
        return too_many(request, _("Too many checkouts in a short time; try again in %(seconds)s s.")
                        % {"seconds": wait}, wait)
    program = request.POST.get("program_id")
    try:
        if program:
            seats = checkout.program_seats(program)
        else:
            seats = [checkout.find_seat(request.POST.get("course_id", ""), request.POST.get("mode", ""))]
        result = checkout.checkout_seats(learners.learner_id(request), seats)
    except checkout.CheckoutError as error:
        messages.error(request, error.message)
        return redirect("dashboard")
    if result.order.status == Order.Status.PENDING:
        return redirect("demo-pay", number=result.order.number)
    if program:  # several seats: the receipt shows each one going live
        return redirect("receipt", number=result.order.number)
    return redirect("dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def demo_pay_page(request: HttpRequest, number: str) -> HttpResponse:
    """Stands in for the provider's hosted payment page.

    Paying sends a signed notification through the same handler the real
    provider's webhook reaches.
    """
    order = get_object_or_404(Order.objects.prefetch_related("lines__seat__course"), number=number, user=request.user)
    if request.method == "POST" and order.status == Order.Status.PENDING:
        body, signature = payments.signed_notification(order, f"demo-{secrets.token_hex(8)}")
        try:
            payments.handle_notification(body, signature)
        except payments.PaymentRejected as rejection:
            messages.error(request, rejection.message)
            return redirect("demo-pay", number=number)
        return redirect("receipt", number=number)
    if order.status != Order.Status.PENDING:
        return redirect("receipt", number=number)
    return render(request, "commerce/pay.html", {"order": order, "lines": order.lines.all()})


@login_required
def receipt_page(request: HttpRequest, number: str) -> HttpResponse:
    """The order's receipt: each line's seat, live (frontend/src/receipt.js) until it is ready."""
    order = selectors.order_for_learner(learners.learner_id(request), number)
    if order is None:
        raise Http404("No such order.")
    return render(request, "commerce/receipt.html", {"order": to_wire(order, list(order.lines.all()))})
