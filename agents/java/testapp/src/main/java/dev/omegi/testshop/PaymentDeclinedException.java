package dev.omegi.testshop;

public class PaymentDeclinedException extends RuntimeException {
  public PaymentDeclinedException(String message) {
    super(message);
  }
}
