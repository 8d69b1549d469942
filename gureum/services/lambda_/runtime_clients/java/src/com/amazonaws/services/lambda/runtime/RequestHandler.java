package com.amazonaws.services.lambda.runtime;

/** A handler that receives the event as a value of type I and returns a value of type O (gureum). */
public interface RequestHandler<I, O> {
    O handleRequest(I input, Context context);
}
