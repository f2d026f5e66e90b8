package dev.moe4j.internal.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one definition of routed-expert tensor names, on every layout and on the names it must not claim. */
class ExpertTensorNamesTest {

    @Test
    void stackedPerExpertAndBiases() {
        var p = ExpertTensorNames.parse("blk.3.ffn_gate_up_exps.weight").orElseThrow();
        assertEquals(new ExpertTensorNames.Parsed(3, "gate_up", -1, false), p);
        assertTrue(p.stacked());
        assertEquals(new ExpertTensorNames.Parsed(0, "down", -1, true),
                ExpertTensorNames.parse("blk.0.ffn_down_exps.bias").orElseThrow());
        assertEquals(new ExpertTensorNames.Parsed(12, "up", 7, false),
                ExpertTensorNames.parse("blk.12.ffn_up.7.weight").orElseThrow());
        assertEquals("blk.5.ffn_gate_exps.weight", ExpertTensorNames.stacked("blk.5.", "gate"));
        assertEquals("blk.5.ffn_down.2.weight", ExpertTensorNames.perExpert("blk.5.", "down", 2));
        assertTrue(ExpertTensorNames.isRouted(ExpertTensorNames.stackedBias("blk.1.", "up")));
    }

    @Test
    void sharedExpertsRoutersAndOverlongNumbersAreNotRoutedExperts() {
        for (String name : new String[] {"blk.0.ffn_gate_shexp.weight", "blk.0.ffn_gate_inp.weight",
                "blk.0.ffn_gate_inp.bias", "blk.0.exp_probs_b.bias", "blk.0.ffn_gate.weight", "output.weight",
                "blk.0.ffn_gate_exps.scale", "blk.1234567890.ffn_up_exps.weight", "blk.0.ffn_up.99999999999.weight",
                "blk.x.ffn_up_exps.weight"}) {
            assertFalse(ExpertTensorNames.isRouted(name), name);
            assertTrue(ExpertTensorNames.parse(name).isEmpty(), name);
        }
    }
}
