package dev.omegi.testshop;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class OrderController {
  private final OrderService orders;
  private final PaymentService payments;
  private final PaymentClient paymentClient;

  public OrderController(OrderService orders, PaymentService payments, PaymentClient paymentClient) {
    this.orders = orders;
    this.payments = payments;
    this.paymentClient = paymentClient;
  }

  @GetMapping("/health")
  public String health() {
    return "ok";
  }

  /** Order 42 fails three calls deep: controller → service → repository. */
  @GetMapping("/orders/{id}")
  public Map<String, Object> order(@PathVariable long id) {
    Order order = orders.find(id);
    return Map.of("id", order.getId(), "total", order.getTotal());
  }

  /** The same failure, caught and handled by the service: a fallback order, no error. */
  @GetMapping("/orders/{id}/safe")
  public Map<String, Object> safeOrder(@PathVariable long id) {
    Order order = orders.findOrFallback(id);
    return Map.of("id", order.getId(), "total", order.getTotal());
  }

  /** Charges through the downstream payment service (DOWNSTREAM_URL/pay). */
  @GetMapping("/checkout")
  public Map<String, Object> checkout() {
    return Map.of("payment", paymentClient.charge(7));
  }

  /** This shop's own payment endpoint: the card is always declined. */
  @GetMapping("/pay")
  public Map<String, Object> pay() {
    return Map.of("paid", payments.charge(7));
  }

  /** The cost of a traced call, timed in a loop of n calls (the benchmark). */
  @GetMapping("/bench")
  public Map<String, Object> bench(@RequestParam(defaultValue = "100000") int n) {
    return PriceCalculator.timeCalls(n);
  }
}
