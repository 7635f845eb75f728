package dev.omegi.testshop;

import org.springframework.stereotype.Service;

@Service
public class PaymentService {
  public boolean charge(long orderId) {
    return authorize(orderId);
  }

  boolean authorize(long orderId) {
    throw new PaymentDeclinedException("card declined for order " + orderId);
  }
}
