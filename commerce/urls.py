from django.urls import path

from commerce import api, views

urlpatterns = [
    path("checkout/", views.checkout_page, name="checkout"),
    path("checkout/pay/<str:number>/", views.demo_pay_page, name="demo-pay"),
    path("orders/<str:number>/", views.receipt_page, name="receipt"),
    path("api/v1/orders/", api.OrderCreateView.as_view(), name="api-orders"),
    path("api/v1/payments/notify/", api.PaymentNotifyView.as_view(), name="api-payment-notify"),
]
