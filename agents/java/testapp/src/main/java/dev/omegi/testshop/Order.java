package dev.omegi.testshop;

public class Order {
  private final long id;
  private long total;

  public Order(long id, long total) {
    this.id = id;
    this.total = total;
  }

  public long getId() {
    return id;
  }

  public long getTotal() {
    return total;
  }

  public void setTotal(long total) {
    this.total = total;
  }
}
