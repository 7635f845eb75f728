package dev.omegi.testshop;

import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestTemplate;

@Component
public class PaymentClient {
  private final RestTemplate http;
  private final String downstream;

  public PaymentClient(RestTemplate http, @Value("${DOWNSTREAM_URL:http://127.0.0.1:8081}") String downstream) {
    this.http = http;
    this.downstream = downstream;
  }

  @SuppressWarnings("unchecked")
  public Map<String, Object> charge(long orderId) {
    return http.getForObject(downstream + "/pay?order=" + orderId, Map.class);
  }
}
