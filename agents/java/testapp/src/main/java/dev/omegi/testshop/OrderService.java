package dev.omegi.testshop;

import org.springframework.stereotype.Service;

@Service
public class OrderService {
  private final OrderRepository repository;

  public OrderService(OrderRepository repository) {
    this.repository = repository;
  }

  public Order find(long id) {
    Order order = repository.load(id);
    order.setTotal(PriceCalculator.withTax(order.getTotal()));
    return order;
  }

  public Order findOrFallback(long id) {
    try {
      return repository.load(id);
    } catch (IllegalStateException corrupt) {
      return new Order(id, 0);
    }
  }
}
